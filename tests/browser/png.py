"""How much a screenshot shows, from its PNG alone (standard library only): the share of the
image's filtered bytes that are not zero. A blank page, one colour, filters to nearly all
zeros; text and pictures do not."""

import struct
import zlib


def ink(png: bytes) -> float:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    data = bytearray()
    at = 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        if kind == b"IDAT":
            data += png[at + 8 : at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(bytes(data))
    return sum(1 for byte in raw if byte) / max(1, len(raw))
