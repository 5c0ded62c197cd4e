"""RTP over RTSP-interleaved TCP, back to whole H.264/H.265 access units (RFC 2326 §10.12,
RFC 6184, RFC 7798).

Why our own depacketizer rather than FFmpeg's: FFmpeg's RTSP reader makes a poll and a recv
system call for every few hundred bytes (about 2 500 calls a second for one 4 Mbit/s camera)
and wakes its thread once per frame. Reading whatever the socket holds a few times a second and
cutting it here in Python costs less than that (docs/performance.md). Nothing is decoded: NAL
units are only re-framed from RTP payloads to Annex-B.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

START_CODE = b"\x00\x00\x00\x01"
_MAX_FRAME = 1 << 16  # an interleaved frame's length is 16 bits
Buffer: TypeAlias = bytes | memoryview


class InterleavedError(Exception):
    """The TCP stream is not RTSP-interleaved data (a broken or hostile server)."""


@dataclass(frozen=True, slots=True)
class AccessUnit:
    """One frame: Annex-B NAL units with their 32-bit RTP timestamp."""

    data: bytes
    timestamp: int
    keyframe: bool
    damaged: bool  # packets were lost inside it


class InterleavedReader:
    """Splits bytes read from the RTSP socket into (channel, payload) frames. RTSP messages
    the server sends in between (answers to keep-alives) are returned as text.

    Payloads are memoryviews into the bytes read (no copy); only an item cut in two by a read
    boundary is joined."""

    def __init__(self) -> None:
        self._rest = b""
        self._items: list[tuple[int, Buffer]] = []

    def feed(self, data: bytes | memoryview) -> None:
        chunk = data if isinstance(data, bytes) else bytes(data)
        if self._rest:
            chunk = self._complete_straddler(chunk)
        if chunk:
            self._parse(chunk)

    def frames(self) -> list[tuple[int, Buffer]]:
        """Complete items fed so far: ``(channel, payload)``, or ``(-1, message)`` for an
        RTSP message. What is incomplete stays buffered for the next :meth:`feed`."""
        items, self._items = self._items, []
        return items

    def _complete_straddler(self, chunk: bytes) -> bytes:
        """Finish the item the last read cut, copying only its own bytes; returns the rest."""
        rest = self._rest
        if len(rest) >= 4 and rest[0] == 0x24:
            need = 4 + ((rest[2] << 8) | rest[3]) - len(rest)
            if len(chunk) < need:
                self._rest = rest + chunk
                return b""
            self._rest = b""
            self._items.append((rest[1], memoryview(rest + chunk[:need])[4:]))
            return chunk[need:] if need else chunk
        self._rest = b""
        return rest + chunk  # a header cut short, or an RTSP message: rare and small

    def _parse(self, data: bytes) -> None:
        view = memoryview(data)
        items = self._items
        pos, end = 0, len(data)
        while end - pos >= 4:
            if data[pos] == 0x24:  # '$'
                size = (data[pos + 2] << 8) | data[pos + 3]
                if end - pos - 4 < size:
                    break
                items.append((data[pos + 1], view[pos + 4 : pos + 4 + size]))
                pos += 4 + size
                continue
            message_end = self._message_end(data, pos)
            if message_end is None:
                if end - pos > _MAX_FRAME:
                    raise InterleavedError("the server sent data that is neither RTP nor RTSP")
                break
            items.append((-1, data[pos:message_end]))
            pos = message_end
        self._rest = data[pos:]

    @staticmethod
    def _message_end(buf: bytes, pos: int) -> int | None:
        if not buf[pos : pos + 3].isalpha():  # "RTSP/1.0 ..." or a server request
            raise InterleavedError("the server sent data that is neither RTP nor RTSP")
        head_end = buf.find(b"\r\n\r\n", pos)
        if head_end < 0:
            return None
        length = 0
        for line in buf[pos:head_end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip() or b"0")
        total = head_end + 4 + length
        return total if total <= len(buf) else None


class Depacketizer:
    """RTP packets of one video stream in, access units out (on the marker bit, or when the
    timestamp moves on for cameras that never set it). An access unit's bytes are copied once,
    when it is complete: until then its pieces are views into the packets."""

    def __init__(self, codec: str) -> None:
        if codec not in ("h264", "hevc"):
            raise ValueError(f"no RTP depacketizer for {codec!r}")
        self._hevc = codec == "hevc"
        self._parts: list[Buffer] = []  # START_CODE, NAL unit, START_CODE, NAL head, pieces...
        self._fragment_at: int | None = None  # where the open fragmented NAL unit starts
        self._timestamp: int | None = None
        self._keyframe = False
        self._damaged = False
        self._next_seq: int | None = None
        self.lost = 0  # packets missing from the sequence, for health and logs

    def push(self, packet: Buffer) -> list[AccessUnit]:
        """One RTP packet; returns the access units it completed (zero, one or two)."""
        size = len(packet)
        if size < 13 or packet[0] >> 6 != 2:
            return []
        flags = packet[0]
        seq = (packet[2] << 8) | packet[3]
        timestamp = int.from_bytes(packet[4:8], "big")
        offset = 12 + 4 * (flags & 0x0F)
        if flags & 0x10:  # header extension
            if size < offset + 4:
                return []
            offset += 4 + 4 * ((packet[offset + 2] << 8) | packet[offset + 3])
        end = size - packet[-1] if flags & 0x20 else size  # padding
        if offset >= end:
            return []
        out: list[AccessUnit] = []
        if timestamp != self._timestamp:
            if self._parts:
                out.append(self._emit())
            self._timestamp = timestamp
        if seq != self._next_seq and self._next_seq is not None:
            self.lost += (seq - self._next_seq) & 0xFFFF
            self._damaged = True
            self._drop_fragment()  # the rest of a cut NAL unit is useless
        self._next_seq = (seq + 1) & 0xFFFF
        payload = packet[offset:end]
        if self._hevc:
            self._push_hevc(payload)
        else:
            self._push_h264(payload)
        if packet[1] & 0x80 and self._parts:
            out.append(self._emit())
        return out

    def _emit(self) -> AccessUnit:
        self._drop_fragment()  # a NAL unit whose last piece never came
        unit = AccessUnit(
            b"".join(self._parts), self._timestamp or 0, self._keyframe, self._damaged
        )
        self._parts, self._keyframe, self._damaged = [], False, False
        return unit

    def _drop_fragment(self) -> None:
        if self._fragment_at is not None:
            del self._parts[self._fragment_at :]
            self._fragment_at = None

    def _add(self, nal: Buffer, kind: int) -> None:
        self._parts += (START_CODE, nal)
        if (16 <= kind <= 21) if self._hevc else kind == 5:
            self._keyframe = True

    def _push_h264(self, payload: Buffer) -> None:
        kind = payload[0] & 0x1F
        if kind == 28:  # FU-A: one NAL unit in pieces (most packets of a frame)
            if len(payload) > 2:
                fu = payload[1]
                if fu & 0x80:
                    head = bytes(((payload[0] & 0xE0) | (fu & 0x1F),))
                    self._start_fragment(head, fu & 0x1F)
                self._continue_fragment(payload[2:], fu & 0x40)
        elif 1 <= kind <= 23:
            self._add(payload, kind)
        elif kind == 24:  # STAP-A: several small NAL units (typically SPS + PPS)
            self._aggregate(payload, 1)

    def _push_hevc(self, payload: Buffer) -> None:
        if len(payload) < 3:
            return
        kind = (payload[0] >> 1) & 0x3F
        if kind == 49:  # fragmentation unit
            fu = payload[2]
            if fu & 0x80:
                head = bytes(((payload[0] & 0x81) | ((fu & 0x3F) << 1), payload[1]))
                self._start_fragment(head, fu & 0x3F)
            self._continue_fragment(payload[3:], fu & 0x40)
        elif kind < 48:
            self._add(payload, kind)
        elif kind == 48:  # aggregation packet
            self._aggregate(payload, 2)

    def _aggregate(self, payload: Buffer, header: int) -> None:
        pos = header
        while pos + 2 <= len(payload):
            size = (payload[pos] << 8) | payload[pos + 1]
            nal = payload[pos + 2 : pos + 2 + size]
            if len(nal) < size or not nal:
                break
            kind = ((nal[0] >> 1) & 0x3F) if self._hevc else nal[0] & 0x1F
            self._add(nal, kind)
            pos += 2 + size

    def _start_fragment(self, head: bytes, kind: int) -> None:
        self._drop_fragment()  # an unfinished one before it is lost
        self._fragment_at = len(self._parts)
        self._parts += (START_CODE, head)
        self._fragment_kind = kind

    def _continue_fragment(self, body: Buffer, last: int) -> None:
        if self._fragment_at is None:
            return  # its start was lost
        self._parts.append(body)
        if last:
            self._fragment_at = None
            if (16 <= self._fragment_kind <= 21) if self._hevc else self._fragment_kind == 5:
                self._keyframe = True


class TimestampUnwrapper:
    """32-bit RTP timestamps to a 64-bit count that keeps going after the wrap (every 13 h
    at 90 kHz); a step back stays a step back, for the normalizer to judge."""

    def __init__(self) -> None:
        self._last: int | None = None
        self._value = 0

    def __call__(self, timestamp: int) -> int:
        if self._last is not None:
            step = (timestamp - self._last) & 0xFFFFFFFF
            if step >= 0x80000000:
                step -= 0x100000000
            self._value += step
        self._last = timestamp
        return self._value
