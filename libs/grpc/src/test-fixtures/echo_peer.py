"""echo.v1.EchoService served by Python's grpcio (Debian python3-grpcio), for the mesh
client's interoperability tests: a peer that shares no code with grpc-js. No protobuf
codegen: the messages have only string and int32 fields, (de)serialized by hand below.

Prints the bound port on stdout, then serves until stdin closes (the test's end).
Collect and Chat send the header x-peer: grpcio and the trailer x-trailer: <method>.
"""
import sys
from concurrent import futures

import grpc


def _varint(value):
    value &= (1 << 64) - 1  # int32 negatives are sent as ten-byte varints
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode(fields):
    """fields: [(number, str | int)]; default values are omitted, as proto3 does."""
    out = bytearray()
    for number, value in fields:
        if isinstance(value, str):
            if value:
                data = value.encode("utf-8")
                out += _varint(number << 3 | 2) + _varint(len(data)) + data
        elif value:
            out += _varint(number << 3) + _varint(value)
    return bytes(out)


def decode(data):
    """{field number: str | int}; unknown wire types end decoding with an error."""
    fields, position = {}, 0

    def read_varint():
        nonlocal position
        shift = result = 0
        while True:
            byte = data[position]
            position += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    while position < len(data):
        key = read_varint()
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value = read_varint()
            fields[number] = value - (1 << 64) if value >= 1 << 63 else value
        elif wire_type == 2:
            length = read_varint()
            fields[number] = data[position:position + length].decode("utf-8")
            position += length
        else:
            raise ValueError("unsupported wire type %d" % wire_type)
    return fields


def collect(requests, context):
    context.send_initial_metadata((("x-peer", "grpcio"),))
    messages = [request.get(1, "") for request in requests]
    context.set_trailing_metadata((("x-trailer", "Collect"),))
    return [(1, len(messages)), (2, " ".join(messages))]


def chat(requests, context):
    context.send_initial_metadata((("x-peer", "grpcio"),))
    for sequence, request in enumerate(requests, start=1):
        yield [(1, request.get(1, "")), (2, sequence)]
    context.set_trailing_metadata((("x-trailer", "Chat"),))


def main():
    handlers = {
        "Collect": grpc.stream_unary_rpc_method_handler(
            collect, request_deserializer=decode, response_serializer=encode),
        "Chat": grpc.stream_stream_rpc_method_handler(
            chat, request_deserializer=decode, response_serializer=encode),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("echo.v1.EchoService", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write("port %d\n" % port)
    sys.stdout.flush()
    sys.stdin.read()
    server.stop(None)


if __name__ == "__main__":
    main()
