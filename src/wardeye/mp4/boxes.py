"""ISO base media file format (MP4) box builders: just what fragmented MP4 for MSE needs."""

from __future__ import annotations

import struct

UNITY_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def box(kind: bytes, *payload: bytes) -> bytes:
    """A box: 32-bit size, four-character type, then the payload."""
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    """A box whose payload starts with a version byte and 24 bits of flags."""
    return box(kind, struct.pack(">I", (version << 24) | (flags & 0xFFFFFF)), *payload)


def iter_boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    """Top-level (type, whole box) pairs of a buffer; stops at a truncated box."""
    found: list[tuple[bytes, bytes]] = []
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        if size < 8 or pos + size > len(data):
            break
        found.append((kind, data[pos : pos + size]))
        pos += size
    return found
