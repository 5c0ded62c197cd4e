"""The segmenter on real camera packets: keyframe cuts, playable files, index rows, gaps."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from recording_support import T0, add_camera, clip_packets, decodes_cleanly, ffprobe

from wardeye.catalog import recordings
from wardeye.catalog.database import Database
from wardeye.core.bus import InProcessBus
from wardeye.core.events import SegmentClosed
from wardeye.ingest.health import HealthTracker
from wardeye.ingest.packets import CLOSED_STOPPED, StreamInfo
from wardeye.recording.index import GAP_RECONNECTING, GAP_STARTING, StreamIndex
from wardeye.recording.segmenter import Segmenter


def run_segmenter(
    db: Database, root: Path, clip: str, seconds: float, segment_seconds: float,
    close_reason: str = "stream ended",
) -> tuple[int, list[SegmentClosed]]:  # fmt: skip
    cam = add_camera(db, f"cam {clip}")
    bus = InProcessBus()
    events: list[SegmentClosed] = []
    bus.subscribe(SegmentClosed, events.append)
    index = StreamIndex(db, bus, root, cam, "main", now=lambda: T0)
    index.begin()
    conn, packets = clip_packets(clip, seconds)
    info = StreamInfo(cam, "main", conn.codec, conn.width, conn.height, conn.fps, b"", "x", 1)
    seg = Segmenter(root, segment_seconds, index, HealthTracker())
    seg.stream_opened(info)
    for packet in packets:
        seg.packet(packet)
    seg.stream_closed(close_reason)
    return cam, events


@pytest.mark.parametrize(("clip", "seconds", "segment_seconds", "lengths", "codec"), [
    ("vtest.mp4", 25, 10, [10, 10, 5], "h264"),  # GOP 2 s, 10 fps real footage
    ("testsrc_1080p_hevc.mp4", 10, 3, [4, 4, 2], "hevc"),  # cuts wait for a keyframe
])  # fmt: skip
def test_segments_cut_on_keyframes_play_and_are_indexed(
    catalog: Database, tmp_path: Path, clip: str, seconds: float, segment_seconds: float,
    lengths: list[float], codec: str,
) -> None:  # fmt: skip
    root = tmp_path / "rec"
    cam, events = run_segmenter(catalog, root, clip, seconds, segment_seconds)
    with catalog.session() as s:
        rows = recordings.segments_between(s, cam, T0 - timedelta(1), T0 + timedelta(1))
        gaps = recordings.gaps_between(s, cam, T0 - timedelta(1), T0 + timedelta(1))
    assert [round(r.duration, 3) for r in rows] == lengths
    assert rows[0].start == T0
    for before, after in itertools.pairwise(rows):
        assert before.end == after.start  # contiguous: durations add up
    assert sum(r.duration for r in rows) == pytest.approx(seconds, abs=0.001)
    for row in rows:
        path = root / row.path
        assert path.is_file() and not path.with_name(path.name + ".partial").exists()
        probe = ffprobe(path)
        assert probe["codec"] == codec == row.codec
        assert probe["duration"] == pytest.approx(row.duration, abs=0.05)
        assert probe["packets"] == row.frames
        assert row.bytes == path.stat().st_size and row.keyframes >= 1
        assert (probe["width"], probe["height"]) == (row.width, row.height)
    assert decodes_cleanly(root / rows[0].path)
    assert [e.start for e in events] == [r.start for r in rows]
    assert all(Path(e.path).is_absolute() for e in events)
    # the start-up gap ended where footage began; the loss opened a gap at the last end
    assert [(g.reason, g.start, g.end) for g in gaps] == [
        (GAP_STARTING, T0, T0),
        (GAP_RECONNECTING, rows[-1].end, None),
    ]
    assert not list(root.rglob("*.partial"))


def test_a_stop_finishes_the_open_segment_without_opening_a_gap(
    catalog: Database, tmp_path: Path
) -> None:
    cam, _ = run_segmenter(catalog, tmp_path, "testsrc_720p.mp4", 7, 10, CLOSED_STOPPED)
    with catalog.session() as s:
        rows = recordings.segments_between(s, cam, T0 - timedelta(1), T0 + timedelta(1))
        assert [round(r.duration, 2) for r in rows] == [7.0]
        assert not recordings.open_gaps(s, cam)
