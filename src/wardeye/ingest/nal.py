"""Just enough Annex-B parsing to find parameter sets (SPS/PPS/VPS) in H.264/H.265 keyframes.

Cameras differ: some send parameter sets only in the SDP, some only in-band, some change them
after a reboot. The reader makes every keyframe self-contained with these helpers, and notices a
change of parameters (e.g. a new resolution) by comparing them. Only the NAL headers before the
first picture slice are looked at, so a keyframe costs a few ``bytes.find`` calls.
"""

from __future__ import annotations

from collections.abc import Iterator

START_CODE = b"\x00\x00\x01"
# NAL unit types that are parameter sets, and the first type that is picture data (VCL).
_H264_PARAMS = frozenset({7, 8})  # SPS, PPS
_H265_PARAMS = frozenset({32, 33, 34})  # VPS, SPS, PPS
SUPPORTED_CODECS = ("h264", "hevc")


def nal_type(codec: str, nal: bytes) -> int:
    if not nal:
        return -1
    return nal[0] & 0x1F if codec == "h264" else (nal[0] >> 1) & 0x3F


def _is_vcl(codec: str, kind: int) -> bool:
    return 1 <= kind <= 5 if codec == "h264" else 0 <= kind <= 31


def iter_nals(data: bytes) -> Iterator[bytes]:
    """NAL units of an Annex-B buffer (3- or 4-byte start codes), without their start codes."""
    pos = data.find(START_CODE)
    while pos >= 0:
        begin = pos + 3
        nxt = data.find(START_CODE, begin)
        end = len(data) if nxt < 0 else nxt
        nal = data[begin:end]
        if nxt >= 0 and nal.endswith(b"\x00"):  # 4-byte start code of the next NAL
            nal = nal[:-1]
        yield nal
        pos = nxt


def is_annexb(data: bytes) -> bool:
    return data.startswith(START_CODE) or data.startswith(b"\x00" + START_CODE)


def parameter_sets(codec: str, data: bytes) -> bytes:
    """The parameter-set NAL units found before the first slice, re-joined as Annex-B (each
    once: some servers repeat the sets a keyframe already carries). The slice itself (most of
    the keyframe's bytes) is never scanned."""
    wanted = _H264_PARAMS if codec == "h264" else _H265_PARAMS
    found: list[bytes] = []
    pos = data.find(START_CODE)
    while pos >= 0 and pos + 3 < len(data):
        begin = pos + 3
        kind = nal_type(codec, data[begin : begin + 1])
        if _is_vcl(codec, kind):
            break
        nxt = data.find(START_CODE, begin)
        if kind in wanted:
            nal = data[begin : len(data) if nxt < 0 else nxt]
            if nxt >= 0 and nal.endswith(b"\x00"):  # 4-byte start code of the next NAL
                nal = nal[:-1]
            if nal not in found:
                found.append(nal)
        pos = nxt
    return b"".join(b"\x00\x00\x00\x01" + nal for nal in found)


def has_sps(codec: str, params: bytes) -> bool:
    """True when the parameter sets include a sequence parameter set (enough to decode)."""
    sps = 7 if codec == "h264" else 33
    return any(nal_type(codec, nal) == sps for nal in iter_nals(params))


def with_parameter_sets(codec: str, data: bytes, params: bytes) -> tuple[bytes, bytes]:
    """Make a keyframe self-contained. Returns (keyframe data, the parameter sets it now uses):
    in-band parameter sets win; otherwise the known ones are put in front."""
    inband = parameter_sets(codec, data)
    if inband and has_sps(codec, inband):
        return data, inband
    if not params:
        return data, inband
    return params + data, params
