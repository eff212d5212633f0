"""echo.v1.EchoService served by Python's grpcio (Debian python3-grpcio), for the mesh
client's interoperability tests: a peer that shares no code with grpc-js. No protobuf
codegen: the messages have only string and int32 fields, (de)serialized by hand below.

Prints the bound port on stdout, then serves until stdin closes (the test's end).
Collect and Chat send the header x-peer: grpcio and the trailer x-trailer: <method>.
A request whose message is "hang" is worked on until the call ends: when the client cancels
it or its deadline passes, the peer prints "hanging <method>" when it starts and
"ended <method>" when it sees the call end, on stdout, so a test sees the
server side of the cancellation.
"""
import sys
import time
from concurrent import futures

import grpc

from echo_wire import decode, encode


def hang(context, method):
    """Works until the call is no longer active. grpcio marks a call cancelled (by the client
    or by its deadline) from its own close-on-server event, whatever the handler is doing; a
    request iterator, by contrast, may just end as if the client had half-closed."""
    sys.stdout.write("hanging %s\n" % method)
    sys.stdout.flush()
    while context.is_active():
        time.sleep(0.01)
    sys.stdout.write("ended %s\n" % method)
    sys.stdout.flush()


def collect(requests, context):
    context.send_initial_metadata((("x-peer", "grpcio"),))
    messages = []
    for request in requests:
        if request.get(1, "") == "hang":
            hang(context, "Collect")
            return []
        messages.append(request.get(1, ""))
    context.set_trailing_metadata((("x-trailer", "Collect"),))
    return [(1, len(messages)), (2, " ".join(messages))]


def chat(requests, context):
    context.send_initial_metadata((("x-peer", "grpcio"),))
    for sequence, request in enumerate(requests, start=1):
        if request.get(1, "") == "hang":
            return hang(context, "Chat")
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
