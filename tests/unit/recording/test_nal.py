"""Parameter sets found in real H.264/H.265 keyframes, and keyframes made self-contained."""

from __future__ import annotations

import pytest
from recording_support import clip_packets

from wardeye.ingest.nal import (
    has_sps,
    iter_nals,
    nal_type,
    parameter_sets,
    with_parameter_sets,
)


@pytest.mark.parametrize(("clip", "codec", "types"), [
    ("testsrc_720p.mp4", "h264", [7, 8]),
    ("testsrc_1080p_hevc.mp4", "hevc", [32, 33, 34]),
])  # fmt: skip
def test_real_keyframes_carry_their_parameter_sets(clip: str, codec: str, types: list[int]) -> None:
    _conn, packets = clip_packets(clip, seconds=4)
    keyframes = [p for p in packets if p.keyframe]
    assert len(keyframes) == 2
    for key in keyframes:
        params = parameter_sets(codec, key.data)
        assert [nal_type(codec, n) for n in iter_nals(params)] == types
        assert has_sps(codec, params)
    # delta frames have none
    assert parameter_sets(codec, next(p for p in packets if not p.keyframe).data) == b""


def test_repeated_sets_are_counted_once() -> None:
    sps, pps, idr = b"\x67\x64\x00\x1f", b"\x68\xee\x3c", b"\x65\x88\x84"
    sc = b"\x00\x00\x00\x01"
    data = sc + sps + sc + pps + sc + sps + b"\x00\x00\x01" + pps + sc + idr
    assert parameter_sets("h264", data) == sc + sps + sc + pps


def test_keyframe_without_inband_sets_gets_the_known_ones_in_front() -> None:
    sc = b"\x00\x00\x00\x01"
    params = sc + b"\x67\x64\x00\x1f" + sc + b"\x68\xee\x3c"
    bare = sc + b"\x65\x88\x84\x00\x10"
    data, used = with_parameter_sets("h264", bare, params)
    assert data == params + bare and used == params
    inband = params + bare
    data, used = with_parameter_sets("h264", inband, sc + b"\x67\x00")
    assert data == inband and used == params
    data, used = with_parameter_sets("h264", bare, b"")  # nothing known yet: left alone
    assert data == bare and used == b""
