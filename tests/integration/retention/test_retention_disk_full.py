"""Disk full, for real: a 40 MiB tmpfs filled with real 1080p MP4 segments until the kernel
says ENOSPC. Retention must free the oldest unlocked footage, keep locked footage intact and
playable, leave index and files in step, and let a writer carry on through ``make_room``."""

from __future__ import annotations

import errno
from datetime import timedelta
from pathlib import Path

from disk_full_helpers import (
    SEGMENT_SECONDS,
    SegmentWriter,
    indexed,
    lock,
    make_cameras,
    playable_frames,
)

from wardeye.catalog.database import Database
from wardeye.config.models import RetentionConfig
from wardeye.core.bus import InProcessBus
from wardeye.core.clock import utc_now
from wardeye.core.events import Event
from wardeye.recording.disk import GIB, disk_usage
from wardeye.recording.retention import RecordingSpaceExhausted, RetentionService

MIB = 1024**2


def retention(
    db: Database, root: Path, keep_free_mib: float, bus: InProcessBus | None = None
) -> RetentionService:
    config = RetentionConfig(max_age_days=None, keep_free_gb=keep_free_mib * MIB / GIB)
    return RetentionService(db, config, root, bus=bus, now=utc_now)


def files_on(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*.mp4")}


def assert_index_matches_disk(db: Database, root: Path) -> None:
    rows = {seg.path for seg in indexed(db).values()}
    assert rows == files_on(root), "index rows and files on disk disagree"


def test_full_disk_frees_oldest_unlocked_and_keeps_locked_footage(
    small_disk: Path, catalog: Database, real_segments: list[Path]
) -> None:
    cams = make_cameras(catalog, 2)
    writer = SegmentWriter(catalog, small_disk, real_segments)
    written = writer.fill(cams)
    assert len(written) >= 25 and disk_usage(small_disk).free < 2 * MIB  # really full
    # evidence: camera 0's first three segments (the very oldest on disk) and one in the middle
    cam0 = [w for w in written if w.camera_id == cams[0]]
    lock(catalog, cams[0], cam0[0].start, cam0[2].start + timedelta(seconds=1))
    lock(catalog, cams[0], cam0[8].start, cam0[8].start + timedelta(seconds=SEGMENT_SECONDS))
    locked = {w.segment_id for w in (cam0[0], cam0[1], cam0[2], cam0[8])}
    frames_before = {
        w.segment_id: playable_frames(w.path) for w in written if w.segment_id in locked
    }

    report = retention(catalog, small_disk, keep_free_mib=10).run_once()

    assert report.space_ok and report.free_bytes >= 10 * MIB
    assert disk_usage(small_disk).free >= 10 * MIB
    left = indexed(catalog)
    assert locked <= set(left), "locked footage was deleted"
    for w in written:
        if w.segment_id in locked:
            assert playable_frames(w.path) == frames_before[w.segment_id] > 0
    deleted = [w for w in written if w.segment_id not in left]
    kept_unlocked = [w for w in written if w.segment_id in left and w.segment_id not in locked]
    assert deleted and report.deleted_segments == len(deleted)
    assert max(w.start for w in deleted) < min(w.start for w in kept_unlocked), "not oldest-first"
    # no more than needed: without the last one deleted, the floor would not have been met
    assert report.free_bytes - deleted[-1].size < 10 * MIB
    assert_index_matches_disk(catalog, small_disk)


def test_writer_keeps_going_through_make_room_on_a_full_disk(
    small_disk: Path, catalog: Database, real_segments: list[Path]
) -> None:
    cams = make_cameras(catalog, 3)
    writer = SegmentWriter(catalog, small_disk, real_segments)
    first = writer.fill(cams)
    oldest = first[0]
    lock(catalog, oldest.camera_id, oldest.start, oldest.start)
    service = retention(catalog, small_disk, keep_free_mib=4)
    seg_size = max(p.stat().st_size for p in real_segments)

    new_ids: list[int] = []
    room_calls = 0
    while len(new_ids) < 40:  # more than the disk holds: old footage must keep making way
        try:
            new_ids.append(writer.write(cams[len(new_ids) % len(cams)]).segment_id)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
            room_calls += 1
            assert service.make_room(seg_size), "make_room could not free a segment's worth"
            assert room_calls < 100

    assert room_calls > 0
    assert oldest.segment_id in indexed(catalog) and playable_frames(oldest.path) > 0
    assert set(new_ids) <= set(indexed(catalog)), "a segment just written was deleted"
    assert_index_matches_disk(catalog, small_disk)


def test_everything_locked_deletes_nothing_and_raises_the_alarm(
    small_disk: Path, catalog: Database, real_segments: list[Path]
) -> None:
    cams = make_cameras(catalog, 1)
    written = SegmentWriter(catalog, small_disk, real_segments).fill(cams)
    lock(catalog, cams[0], written[0].start, written[-1].start)
    bus = InProcessBus()
    seen: list[Event] = []
    bus.subscribe(Event, seen.append)
    service = retention(catalog, small_disk, keep_free_mib=10, bus=bus)

    report = service.run_once()

    assert not report.space_ok and report.deleted_segments == 0
    assert report.locked_segments == len(written)
    assert not service.make_room(5 * MIB)
    assert len(indexed(catalog)) == len(written) == len(files_on(small_disk))
    assert any(isinstance(e, RecordingSpaceExhausted) for e in seen)
