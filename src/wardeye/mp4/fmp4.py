"""Fragmented MP4 for Media Source Extensions: one init segment (ftyp+moov) per stream run, then
self-contained moof+mdat fragments. Written by hand rather than through libavformat so a
fragment leaves the moment its packet arrives (the mp4 muxer holds each frame back until the
next one) and so one packet's fragment can be built once and shared by every viewer."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from wardeye.mp4.boxes import UNITY_MATRIX, box, full_box
from wardeye.mp4.codecs import DecoderConfig, to_length_prefixed

TIMESCALE = 90_000
TRACK_ID = 1
KEY_FLAGS = 0x02000000  # sample_depends_on = 2: an independent (sync) sample
DELTA_FLAGS = 0x01010000  # depends on others, non-sync
TRUN_FLAGS = 0x000F01  # data offset, then per sample: duration, size, flags, cts offset


@dataclass(frozen=True, slots=True)
class Track:
    """One video track: its decoder configuration and picture size."""

    config: DecoderConfig
    width: int
    height: int

    @property
    def mime(self) -> str:
        return f'video/mp4; codecs="{self.config.mime_codec}"'


@dataclass(frozen=True, slots=True)
class Sample:
    """One access unit on the track's 90 kHz timeline; ``data`` may be Annex-B or AVCC."""

    data: bytes
    dts: int
    pts: int
    duration: int
    keyframe: bool


def _sample_entry(track: Track) -> bytes:
    visual = struct.pack(
        ">6xH16xHHIIIH32sHh",
        1,  # data reference index
        track.width,
        track.height,
        0x00480000,  # 72 dpi
        0x00480000,
        0,
        1,  # frames per sample
        b"",
        0x0018,  # depth
        -1,
    )
    return box(track.config.sample_entry, visual, track.config.config_box)


def _stbl(track: Track) -> bytes:
    empty = struct.pack(">I", 0)
    return box(
        b"stbl",
        full_box(b"stsd", 0, 0, struct.pack(">I", 1), _sample_entry(track)),
        full_box(b"stts", 0, 0, empty),
        full_box(b"stsc", 0, 0, empty),
        full_box(b"stsz", 0, 0, struct.pack(">II", 0, 0)),
        full_box(b"stco", 0, 0, empty),
    )


def init_segment(track: Track) -> bytes:
    """ftyp + moov with an empty sample table and mvex: what MSE needs before fragments."""
    ftyp = box(b"ftyp", b"iso5", struct.pack(">I", 512), b"iso5iso6mp41")
    mvhd = full_box(
        b"mvhd", 0, 0, struct.pack(">IIIIIH10x", 0, 0, 1000, 0, 0x10000, 0x0100),
        UNITY_MATRIX, bytes(24), struct.pack(">I", TRACK_ID + 1),
    )  # fmt: skip
    tkhd = full_box(
        b"tkhd", 0, 3, struct.pack(">III4xI8xhhh2x", 0, 0, TRACK_ID, 0, 0, 0, 0),
        UNITY_MATRIX, struct.pack(">II", track.width << 16, track.height << 16),
    )  # fmt: skip
    mdhd = full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, TIMESCALE, 0, 0x55C4, 0))
    hdlr = full_box(b"hdlr", 0, 0, struct.pack(">I4s12x", 0, b"vide"), b"WardEye video\x00")
    dref = full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1))
    minf = box(b"minf", full_box(b"vmhd", 0, 1, bytes(8)), box(b"dinf", dref), _stbl(track))
    trak = box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, minf))
    trex = full_box(b"trex", 0, 0, struct.pack(">IIIII", TRACK_ID, 1, 0, 0, 0))
    return ftyp + box(b"moov", mvhd, trak, box(b"mvex", trex))


def fragment(sequence: int, samples: Sequence[Sample]) -> bytes:
    """moof + mdat holding ``samples`` (consecutive, in decode order)."""
    if not samples:
        raise ValueError("a fragment needs at least one sample")
    payloads = [to_length_prefixed(s.data) for s in samples]
    entries = b"".join(
        struct.pack(
            ">IIIi",
            max(s.duration, 1),
            len(p),
            KEY_FLAGS if s.keyframe else DELTA_FLAGS,
            s.pts - s.dts,
        )
        for s, p in zip(samples, payloads, strict=True)
    )
    mfhd = full_box(b"mfhd", 0, 0, struct.pack(">I", sequence & 0xFFFFFFFF))
    tfhd = full_box(b"tfhd", 0, 0x020000, struct.pack(">I", TRACK_ID))  # default-base-is-moof
    tfdt = full_box(b"tfdt", 1, 0, struct.pack(">Q", max(samples[0].dts, 0)))

    # The data offset counts from the start of moof, whose size does not depend on it.
    size = len(_moof_with_entries(mfhd, tfhd, tfdt, len(samples), 0, entries))
    head = _moof_with_entries(mfhd, tfhd, tfdt, len(samples), size + 8, entries)
    return head + box(b"mdat", *payloads)


def _moof_with_entries(
    mfhd: bytes, tfhd: bytes, tfdt: bytes, count: int, data_offset: int, entries: bytes
) -> bytes:
    trun = full_box(b"trun", 1, TRUN_FLAGS, struct.pack(">Ii", count, data_offset), entries)
    return box(b"moof", mfhd, box(b"traf", tfhd, tfdt, trun))


def random_access_index(sync_fragments: Sequence[tuple[int, int]]) -> bytes:
    """mfra (tfra + mfro) closing a finished file: for each fragment that starts on a keyframe,
    (its presentation time, the file offset of its moof). Players seek with it without walking
    every fragment; like FFmpeg's fragmented output, a file is whole without it too."""
    entries = b"".join(struct.pack(">QQBBB", t, offset, 1, 1, 1) for t, offset in sync_fragments)
    # length_size_of_traf/trun/sample_num = 0: each number is one byte.
    tfra = full_box(b"tfra", 1, 0, struct.pack(">III", TRACK_ID, 0, len(sync_fragments)), entries)
    mfro_size = 16
    return box(b"mfra", tfra, full_box(b"mfro", 0, 0, struct.pack(">I", 8 + len(tfra) + mfro_size)))
