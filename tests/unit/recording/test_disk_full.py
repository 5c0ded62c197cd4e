"""A full disk while recording: retention makes room, or the stream pauses and resumes.
Runs on a real, tiny tmpfs (needs root to mount; skipped otherwise)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from recording_support import T0, add_camera, clip_packets, ffprobe

from wardeye.catalog import recordings
from wardeye.catalog.database import Database
from wardeye.config.models import RetentionConfig
from wardeye.core.bus import InProcessBus
from wardeye.ingest.health import HealthTracker
from wardeye.ingest.packets import CLOSED_STOPPED, MediaPacket, StreamInfo
from wardeye.recording.index import GAP_DISK_FULL, StreamIndex
from wardeye.recording.retention import RetentionService
from wardeye.recording.segmenter import Segmenter
from wardeye.testing.tmpfs import small_tmpfs

MIB = 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "disk", 12) as mount:
        yield mount


def setup(db: Database, root: Path) -> tuple[StreamIndex, StreamInfo, list[MediaPacket]]:
    cam = add_camera(db, "Hẻm 42")
    index = StreamIndex(db, InProcessBus(), root, cam, "main", now=lambda: T0)
    index.begin()
    conn, packets = clip_packets("testsrc_1080p.mp4", 60)  # 4 Mbit/s: ~30 MB for 60 s
    info = StreamInfo(cam, "main", conn.codec, conn.width, conn.height, conn.fps, b"", "x", 1)
    return index, info, packets


def check_index_matches_disk(db: Database, root: Path, cam: int) -> list[recordings.Segment]:
    with db.session() as s:
        rows = list(recordings.segments_between(s, cam, T0 - timedelta(1), T0 + timedelta(1)))
    for row in rows:
        assert ffprobe(root / row.path)["duration"] == pytest.approx(row.duration, abs=0.05)
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*.mp4")}
    assert on_disk == {r.path for r in rows}
    assert not list(root.rglob("*.partial"))
    return rows


def test_retention_makes_room_and_recording_goes_on(catalog: Database, small_disk: Path) -> None:
    retention = RetentionService(
        catalog, RetentionConfig(max_age_days=None, keep_free_gb=0), small_disk
    )
    index, info, packets = setup(catalog, small_disk)
    calls: list[int] = []

    def make_room(wanted: int) -> bool:
        calls.append(wanted)
        return retention.make_room(wanted)

    health = HealthTracker()
    seg = Segmenter(small_disk, 4, index, health, make_room, min_room_bytes=4 * MIB)
    seg.stream_opened(info)
    for packet in packets:
        seg.packet(packet)
    seg.stream_closed(CLOSED_STOPPED)
    assert calls, "the disk never filled: the test proves nothing"
    rows = check_index_matches_disk(catalog, small_disk, info.camera_id)
    # the newest footage is there: at most the segment being written when the disk filled
    # (4 s) is missing at the end
    assert rows[-1].end >= T0 + timedelta(seconds=60 - 4)
    assert health.snapshot().state != "paused_disk_full"
    with catalog.session() as s:
        gaps = recordings.gaps_between(s, info.camera_id, T0 - timedelta(1), T0 + timedelta(1))
    disk_gaps = [g for g in gaps if g.reason == GAP_DISK_FULL]
    assert len(disk_gaps) == len(calls)
    # each disk-full gap is short (at most the segment being written) and ends where
    # footage resumed, so segments and gaps tile the kept time with no hole
    assert all((g.end or rows[-1].end) - g.start <= timedelta(seconds=4) for g in disk_gaps)
    edges = sorted(
        [(r.start, r.end) for r in rows]
        + [(g.start, g.end) for g in disk_gaps if g.end and g.start >= rows[0].start]
    )
    for (_, end), (start, _) in itertools.pairwise(edges):
        assert start == end


def test_no_room_pauses_the_stream_then_it_resumes_when_space_returns(
    catalog: Database, small_disk: Path
) -> None:
    index, info, packets = setup(catalog, small_disk)
    health = HealthTracker()
    health.streaming(info.codec, info.width, info.height)
    seg = Segmenter(small_disk, 4, index, health, lambda _: False, disk_retry_seconds=0.2,
                    min_room_bytes=3 * MIB)  # fmt: skip
    seg.stream_opened(info)
    half = len(packets) // 2
    for packet in packets[:half]:
        seg.packet(packet)
    assert health.snapshot().state == "paused_disk_full"
    rows = check_index_matches_disk(catalog, small_disk, info.camera_id)
    paused_at = rows[-1].end
    # an operator frees space (here: deletes all but the newest segment and their rows)
    with catalog.session() as s:
        recordings.delete_segments(s, [r.id for r in rows[:-1]])
    for row in rows[:-1]:
        (small_disk / row.path).unlink()
    time.sleep(0.3)
    for packet in packets[half : half + 8 * 25]:  # 8 s more: fits in the space freed
        seg.packet(packet)
    seg.stream_closed(CLOSED_STOPPED)
    assert health.snapshot().state == "online"
    after = check_index_matches_disk(catalog, small_disk, info.camera_id)
    resumed = [r for r in after if r.start > paused_at]
    assert resumed, "recording did not resume"
    with catalog.session() as s:
        gaps = recordings.gaps_between(s, info.camera_id, T0 - timedelta(1), T0 + timedelta(1))
    gap = next(g for g in gaps if g.reason == GAP_DISK_FULL)
    assert (gap.start, gap.end) == (paused_at, resumed[0].start)
