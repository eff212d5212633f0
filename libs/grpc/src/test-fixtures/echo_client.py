"""A Python grpcio client of echo.v1.EchoService for NestMesh's tests.

Usage: echo_client.py <port> <scenario> [message ...]. Prints one JSON object per line.
Uses grpc's generic stream_unary / stream_stream with hand-written protobuf encoding of the
few fields involved, so no Python code generation is needed.
Scenarios: collect, chat (happy paths or errors, by the messages sent), chat-cancel (reads the
first answer, sends "hang", then cancels with the stream open once a line arrives on stdin), chat-deadline (the same with a
1.5 s deadline instead of the cancel).
"""
import json
import queue
import sys

import grpc

from echo_wire import decode, encode


def collect_response(data):
    fields = decode(data)
    return {"count": fields.get(1, 0), "joined": fields.get(2, "")}


def echo_response(data):
    fields = decode(data)
    return {"message": fields.get(1, ""), "sequence": fields.get(2, 0)}


def chat_request(message):
    return encode([(1, message)])


def emit(value):
    print(json.dumps(value), flush=True)


def failure(error):
    emit({"code": error.code().name, "details": error.details()})


def open_requests():
    """A request iterator fed from a queue; None ends it."""
    pending = queue.Queue()

    def requests():
        while True:
            item = pending.get()
            if item is None:
                return
            yield item

    return pending, requests()


def main():
    port, scenario, messages = sys.argv[1], sys.argv[2], sys.argv[3:]
    with grpc.insecure_channel("127.0.0.1:%s" % port) as channel:
        collect = channel.stream_unary(
            "/echo.v1.EchoService/Collect", request_serializer=chat_request, response_deserializer=collect_response
        )
        chat = channel.stream_stream(
            "/echo.v1.EchoService/Chat", request_serializer=chat_request, response_deserializer=echo_response
        )
        try:
            if scenario == "collect":
                emit(collect(iter(messages), timeout=15))
            elif scenario == "chat":
                for response in chat(iter(messages), timeout=15):
                    emit(response)
            elif scenario in ("chat-cancel", "chat-deadline"):
                pending, requests = open_requests()
                pending.put("hello")
                call = chat(requests, timeout=1.5 if scenario == "chat-deadline" else 15)
                emit(next(call))
                # An answer the server takes a minute to give: the call ends while it works.
                pending.put("hang")
                if scenario == "chat-cancel":
                    sys.stdin.readline()  # the test says when the server has the "hang"
                    call.cancel()
                    emit({"cancelled": True})
                else:
                    for response in call:
                        emit(response)
                pending.put(None)
            else:
                raise SystemExit("unknown scenario " + scenario)
        except grpc.RpcError as error:
            failure(error)


if __name__ == "__main__":
    main()
