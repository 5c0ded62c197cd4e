"""Hand-written fragmented MP4 against real clips: FFmpeg must decode every frame of what we
build, for H.264 and H.265, from MP4 (length-prefixed) and Annex-B (what readers emit) input."""

from __future__ import annotations

import io
import struct
from fractions import Fraction
from pathlib import Path

import av
import pytest

from wardeye.ingest.nal import parameter_sets, with_parameter_sets
from wardeye.live.replay import SegmentReplay
from wardeye.mp4.boxes import iter_boxes
from wardeye.mp4.codecs import (
    decoder_config,
    parameter_sets_from_avcc,
    parameter_sets_from_hvcc,
)
from wardeye.mp4.fmp4 import TIMESCALE, Sample, Track, fragment, init_segment


def _samples(path: Path, limit: int) -> tuple[str, bytes, int, int, list[Sample]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tb = stream.time_base
        assert tb is not None
        codec = stream.codec_context.name
        extradata = stream.codec_context.extradata or b""
        params = (parameter_sets_from_avcc if codec == "h264" else parameter_sets_from_hvcc)(
            extradata
        )
        samples = []
        for packet in container.demux(stream):
            if packet.dts is None or packet.size == 0:
                continue
            samples.append(
                Sample(
                    bytes(packet),
                    int(packet.dts * tb * TIMESCALE),
                    int((packet.pts if packet.pts is not None else packet.dts) * tb * TIMESCALE),
                    int(packet.duration * tb * TIMESCALE),
                    packet.is_keyframe,
                )
            )
            if len(samples) >= limit:
                break
        return codec, params, stream.codec_context.width, stream.codec_context.height, samples


def _to_annexb(data: bytes) -> bytes:
    out, pos = b"", 0
    while pos < len(data):
        (size,) = struct.unpack_from(">I", data, pos)
        out += b"\x00\x00\x00\x01" + data[pos + 4 : pos + 4 + size]
        pos += 4 + size
    return out


def _decode(data: bytes) -> list[av.VideoFrame]:
    with av.open(io.BytesIO(data)) as container:
        return list(container.decode(video=0))


@pytest.mark.parametrize(
    ("clip", "codec_prefix"),
    [("clock_720p.mp4", "avc1.64"), ("testsrc_1080p_hevc.mp4", "hvc1.")],
)
def test_every_frame_of_the_fragments_decodes(media: Path, clip: str, codec_prefix: str) -> None:
    codec, params, width, height, samples = _samples(media / clip, 60)
    config = decoder_config(codec, params)
    assert config.mime_codec.startswith(codec_prefix)
    init = init_segment(Track(config, width, height))
    assert [kind for kind, _ in iter_boxes(init)] == [b"ftyp", b"moov"]
    body = b"".join(fragment(i + 1, [s]) for i, s in enumerate(samples))
    assert [kind for kind, _ in iter_boxes(body)] == [b"moof", b"mdat"] * len(samples)
    frames = _decode(init + body)
    assert len(frames) == len(samples)
    assert (frames[0].width, frames[0].height) == (width, height)
    times = [float(f.time) for f in frames if f.time is not None]
    assert times == sorted(times)
    assert times[-1] - times[0] == pytest.approx((len(samples) - 1) / 25, abs=0.05)


def test_annexb_input_with_inband_parameter_sets(media: Path) -> None:
    """Readers hand over Annex-B with SPS/PPS in front of each keyframe (ingest.nal); the init
    segment is built from those parameter sets and the samples are converted back."""
    codec, params, width, height, samples = _samples(media / "clock_720p.mp4", 30)
    annexb = []
    used = b""
    for s in samples:
        data = _to_annexb(s.data)
        if s.keyframe:
            data, used = with_parameter_sets(codec, data, params)
        annexb.append(Sample(data, s.dts, s.pts, s.duration, s.keyframe))
    assert parameter_sets(codec, annexb[0].data) == used
    config = decoder_config(codec, used)
    frames = _decode(init_segment(Track(config, width, height)) + fragment(1, annexb))
    assert len(frames) == 30


def test_replay_starts_at_the_keyframe_before_the_offset(media: Path) -> None:
    """Clip GOP is 2 s: asking for 5.3 s into it starts at the keyframe of 4.0 s; ``base`` shifts
    every timestamp so consecutive segments line up."""
    replay = SegmentReplay(media / "clock_720p.mp4", offset=5.3, base=100.0, masks=())
    data = b"".join(replay.chunks())
    assert replay.head.mime.startswith('video/mp4; codecs="avc1.64')
    assert replay.head.width == 1280 and replay.head.fps == pytest.approx(25)
    frames = _decode(data)
    first = float(frames[0].time or 0)
    assert 100.0 + 3.0 < first <= 100.0 + 5.3
    assert float(frames[-1].time or 0) == pytest.approx(100.0 + 30.0 - 0.04, abs=0.05)
    assert frames[0].key_frame
    # Small fragments: the first one carries at most half a second of video.
    boxes = iter_boxes(data)
    first_moof = next(box for kind, box in boxes if kind == b"moof")
    (count,) = struct.unpack_from(">I", first_moof, first_moof.find(b"trun") + 8)
    assert count <= 13


def test_time_base_conversion_is_exact() -> None:
    assert int(Fraction(1, 12800) * 512 * TIMESCALE) == 3600  # one frame at 25 fps
