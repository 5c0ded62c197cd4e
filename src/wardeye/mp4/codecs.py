"""H.264/H.265 decoder configuration for MP4 (avcC/hvcC), the MSE codec string, and the
Annex-B to length-prefixed conversion MP4 samples need. Pure byte work: nothing is decoded."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from wardeye.ingest.nal import is_annexb, iter_nals, nal_type
from wardeye.mp4.boxes import box

H264_SPS, H264_PPS = 7, 8
H265_VPS, H265_SPS, H265_PPS = 32, 33, 34
SUPPORTED = ("h264", "hevc")


class UnsupportedCodec(ValueError):
    """The stream's codec or parameter sets cannot be packaged for a browser."""


@dataclass(frozen=True, slots=True)
class DecoderConfig:
    """What an MP4 sample entry needs to describe one video track."""

    codec: str  # "h264" | "hevc"
    sample_entry: bytes  # b"avc1" | b"hvc1"
    config_box: bytes  # the whole avcC / hvcC box
    mime_codec: str  # e.g. "avc1.64001f", for MediaSource.isTypeSupported


def _unescape(nal: bytes) -> bytes:
    """Remove emulation-prevention bytes (00 00 03 -> 00 00) to read header fields."""
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _split(codec: str, parameter_sets: bytes) -> dict[int, list[bytes]]:
    found: dict[int, list[bytes]] = {}
    for nal in iter_nals(parameter_sets):
        kind = nal_type(codec, nal)
        if nal not in found.setdefault(kind, []):
            found[kind].append(nal)
    return found


def _avc_config(parameter_sets: bytes) -> DecoderConfig:
    nals = _split("h264", parameter_sets)
    sps, pps = nals.get(H264_SPS, []), nals.get(H264_PPS, [])
    if not sps or not pps or len(sps[0]) < 4:
        raise UnsupportedCodec("H.264 stream without SPS/PPS")
    profile, compat, level = sps[0][1], sps[0][2], sps[0][3]
    record = bytes([1, profile, compat, level, 0xFF, 0xE0 | len(sps)])
    record += b"".join(struct.pack(">H", len(n)) + n for n in sps)
    record += bytes([len(pps)]) + b"".join(struct.pack(">H", len(n)) + n for n in pps)
    if profile in (100, 110, 122, 144):  # high profiles: chroma/bit depth (4:2:0, 8 bit)
        record += bytes([0xFD, 0xF8, 0xF8, 0])
    return DecoderConfig(
        "h264", b"avc1", box(b"avcC", record), f"avc1.{profile:02x}{compat:02x}{level:02x}"
    )


def _hevc_codec_string(ptl: bytes) -> str:
    space, tier, profile = ptl[0] >> 6, (ptl[0] >> 5) & 1, ptl[0] & 0x1F
    compat = int.from_bytes(ptl[1:5], "big")
    reversed_compat = int(f"{compat:032b}"[::-1], 2)
    constraints = ptl[5:11].rstrip(b"\x00")
    text = f"hvc1.{'' if space == 0 else chr(ord('A') + space - 1)}{profile}"
    text += f".{reversed_compat:x}.{'H' if tier else 'L'}{ptl[11]}"
    return text + "".join(f".{b:x}" for b in constraints)


def _hevc_config(parameter_sets: bytes) -> DecoderConfig:
    nals = _split("hevc", parameter_sets)
    if not nals.get(H265_SPS) or not nals.get(H265_PPS) or not nals.get(H265_VPS):
        raise UnsupportedCodec("H.265 stream without VPS/SPS/PPS")
    sps = _unescape(nals[H265_SPS][0])
    if len(sps) < 15:
        raise UnsupportedCodec("H.265 SPS too short")
    ptl = sps[3:15]  # after the 2-byte NAL header and the vps id/max sub layers byte
    record = bytes([1]) + ptl + bytes([0xF0, 0x00, 0xFC, 0xFD, 0xF8, 0xF8, 0, 0, 0x0F])
    arrays = [(kind, nals[kind]) for kind in (H265_VPS, H265_SPS, H265_PPS)]
    record += bytes([len(arrays)])
    for kind, units in arrays:
        record += bytes([0x80 | kind]) + struct.pack(">H", len(units))
        record += b"".join(struct.pack(">H", len(n)) + n for n in units)
    return DecoderConfig("hevc", b"hvc1", box(b"hvcC", record), _hevc_codec_string(ptl))


def decoder_config(codec: str, parameter_sets: bytes) -> DecoderConfig:
    """Build the sample description from Annex-B parameter sets (as the readers hand them)."""
    if codec == "h264":
        return _avc_config(parameter_sets)
    if codec == "hevc":
        return _hevc_config(parameter_sets)
    raise UnsupportedCodec(f"codec {codec!r} cannot be played in a browser without transcoding")


def to_length_prefixed(data: bytes) -> bytes:
    """MP4 samples hold NAL units each prefixed by its 4-byte length, not Annex-B start codes."""
    if not is_annexb(data):
        return data
    return b"".join(struct.pack(">I", len(n)) + n for n in iter_nals(data) if n)


def parameter_sets_from_avcc(extradata: bytes) -> bytes:
    """Annex-B SPS/PPS out of an avcC record (what MP4 files store), for the same code path."""
    if not extradata or extradata[0] != 1 or len(extradata) < 7:
        return extradata if is_annexb(extradata) else b""
    out, pos = b"", 6
    count = extradata[5] & 0x1F
    for table in range(2):
        for _ in range(count):
            (size,) = struct.unpack_from(">H", extradata, pos)
            out += b"\x00\x00\x00\x01" + extradata[pos + 2 : pos + 2 + size]
            pos += 2 + size
        if table == 0 and pos < len(extradata):
            count = extradata[pos]
            pos += 1
    return out


def parameter_sets_from_hvcc(extradata: bytes) -> bytes:
    """Annex-B VPS/SPS/PPS out of an hvcC record."""
    if not extradata or extradata[0] != 1 or len(extradata) < 23:
        return extradata if is_annexb(extradata) else b""
    out, pos = b"", 23
    for _ in range(extradata[22]):
        (count,) = struct.unpack_from(">H", extradata, pos + 1)
        pos += 3
        for _ in range(count):
            (size,) = struct.unpack_from(">H", extradata, pos)
            out += b"\x00\x00\x00\x01" + extradata[pos + 2 : pos + 2 + size]
            pos += 2 + size
    return out
