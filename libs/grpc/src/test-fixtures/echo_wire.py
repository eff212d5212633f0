"""Protobuf wire format for echo.v1's few fields (string and int32), shared by the Python
grpcio peers of NestMesh's tests (echo_peer.py, echo_client.py): no protobuf codegen needed.
"""


def varint(value):
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
                out += varint(number << 3 | 2) + varint(len(data)) + data
        elif value:
            out += varint(number << 3) + varint(value)
    return bytes(out)


def decode(data):
    """{field number: str | int}; unknown wire types end decoding with an error."""
    fields, position = {}, 0

    def readvarint():
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
        key = readvarint()
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value = readvarint()
            fields[number] = value - (1 << 64) if value >= 1 << 63 else value
        elif wire_type == 2:
            length = readvarint()
            fields[number] = data[position:position + length].decode("utf-8")
            position += length
        else:
            raise ValueError("unsupported wire type %d" % wire_type)
    return fields
