"""End to end: the real Recorder records three 1080p cameras from the RTSP simulator onto a
192 MiB tmpfs already nearly full of older footage, part of it under an evidence lock. When the
kernel says ENOSPC the recorder asks retention for room (``make_room``); recording must carry
on, the locked footage must stay, and index and disk must agree at the end."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from disk_full_helpers import SegmentWriter, indexed, lock, make_cameras, playable_frames
from sqlalchemy import select

from wardeye.catalog.database import Database
from wardeye.catalog.models import Segment
from wardeye.config.models import ReconnectConfig, RecordingConfig, RetentionConfig
from wardeye.core.bus import InProcessBus
from wardeye.core.clock import utc_now
from wardeye.recording.disk import disk_usage
from wardeye.recording.recorder import Recorder
from wardeye.recording.retention import RetentionService
from wardeye.testing.media import media_file
from wardeye.testing.rtsp_fixtures import SimulatorFactory

pytestmark = pytest.mark.rtsp
MIB = 1024**2
CAMERAS = 3
LEAVE_FREE = 24 * MIB  # the recorder fills this in about 15 s (3 x 4 Mbit/s)
RUN_SECONDS = 50


@dataclass
class RoomCalls:
    """Records every call the recorder makes to retention's make_room (instrumentation only)."""

    service: RetentionService
    calls: list[tuple[float, int, bool]] = field(default_factory=list)
    guard: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, bytes_needed: int) -> bool:
        ok = self.service.make_room(bytes_needed)
        with self.guard:
            self.calls.append((time.monotonic(), bytes_needed, ok))
        return ok


def prefill(db: Database, root: Path, sources: list[Path], cams: list[int]) -> SegmentWriter:
    """Older footage (a day ago) until only LEAVE_FREE is left on the disk."""
    writer = SegmentWriter(db, root, sources, t0=utc_now() - timedelta(days=1))
    while disk_usage(root).free > LEAVE_FREE + 2 * MIB:
        writer.write(cams[writer.count % len(cams)])
    return writer


def test_recorder_keeps_recording_on_a_full_disk_and_locked_footage_stays(
    big_small_disk: Path,
    catalog: Database,
    real_segments: list[Path],
    rtsp_simulator_factory: SimulatorFactory,
) -> None:
    clip = media_file("vtest_1080p.mp4")
    sim = rtsp_simulator_factory({f"cam{i}": clip for i in range(CAMERAS)})
    cams = make_cameras(catalog, CAMERAS, urls=[sim.url(f"cam{i}") for i in range(CAMERAS)])
    old = prefill(catalog, big_small_disk, real_segments, cams)
    with catalog.session() as s:
        first = s.scalars(select(Segment).order_by(Segment.start).limit(6)).all()
    locked = {seg.id: big_small_disk / seg.path for seg in first if seg.camera_id == cams[0]}
    for seg in first:
        if seg.camera_id == cams[0]:
            lock(catalog, cams[0], seg.start, seg.end)
    frames = {i: playable_frames(p) for i, p in locked.items()}
    old_ids = set(indexed(catalog))

    retention = RetentionService(
        catalog, RetentionConfig(max_age_days=None, keep_free_gb=0), big_small_disk
    )
    room = RoomCalls(retention)
    config = RecordingConfig(
        segment_seconds=4, reconnect=ReconnectConfig(initial_seconds=0.5, max_seconds=2)
    )
    recorder = Recorder(catalog, config, big_small_disk, InProcessBus(), on_disk_full=room)
    started = time.monotonic()
    recorder.start()
    try:
        time.sleep(RUN_SECONDS)
        states = {h.camera_id: h.state for h in recorder.health()}
    finally:
        recorder.stop()
    elapsed = time.monotonic() - started

    assert old.count > 100, "the disk was not pre-filled"
    assert room.calls, "the disk never filled: make_room was not called"
    assert all(ok for _, _, ok in room.calls), f"make_room failed: {room.calls}"
    assert set(states.values()) == {"online"}, states
    left = indexed(catalog)
    assert set(locked) <= set(left), "locked footage was deleted"
    for seg_id, path in locked.items():
        assert playable_frames(path) == frames[seg_id] > 0
    assert old_ids - set(left), "no old footage was freed"
    new = [seg for seg in left.values() if seg.id not in old_ids]
    for cam in cams:
        mine = [seg for seg in new if seg.camera_id == cam]
        recorded = sum(seg.duration for seg in mine)
        assert recorded > 0.6 * elapsed, f"camera {cam}: {recorded:.0f} s of {elapsed:.0f} s"
        newest = max(seg.end for seg in mine)
        assert newest > utc_now() - timedelta(seconds=10), f"camera {cam} stopped recording"
    stored = {seg.path for seg in left.values()}
    on_disk = {p.relative_to(big_small_disk).as_posix() for p in big_small_disk.rglob("*.mp4")}
    assert stored == on_disk, "index and files disagree"
