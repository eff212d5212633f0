"""One grpc.health.v1.Health/Check from Python grpcio, over TLS, for NestMesh's TLS tests.

Usage: health_check.py <port> <server name> <CA file> [<certificate file> <key file>].
Prints one JSON line: {"status": "SERVING"} (the serving status's name) or {"error": "<code>"}.
The server name is what the server certificate must carry (grpc.ssl_target_name_override).
"""
import json
import sys

import grpc

from echo_wire import decode, encode

STATUSES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def read(path):
    with open(path, "rb") as file:
        return file.read()


def main():
    port, server_name, ca_file = sys.argv[1:4]
    identity = sys.argv[4:6]
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(ca_file),
        private_key=read(identity[1]) if identity else None,
        certificate_chain=read(identity[0]) if identity else None,
    )
    options = [("grpc.ssl_target_name_override", server_name)]
    with grpc.secure_channel(f"127.0.0.1:{port}", credentials, options) as channel:
        check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=lambda service: encode([(1, service)]),
            response_deserializer=decode,
        )
        try:
            response = check("", timeout=10)
            print(json.dumps({"status": STATUSES.get(response.get(1, 0), "?")}))
        except grpc.RpcError as error:
            print(json.dumps({"error": error.code().name}))


if __name__ == "__main__":
    main()
