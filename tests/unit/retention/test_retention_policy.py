"""Retention against a real SQLite catalog and real files: age limits resolved camera › area chain
› default, evidence locks that always win, quota, the free-space floor, the crash journal."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from retention_catalog import (
    NOW,
    SegmentFactory,
    add_area,
    add_camera,
    add_lock,
    segment_ids,
)
from sqlalchemy import select

from wardeye.catalog.database import Database
from wardeye.catalog.models import EvidenceLock, Segment
from wardeye.config.models import RetentionConfig
from wardeye.core.bus import InProcessBus
from wardeye.core.events import Event
from wardeye.recording.disk import GIB
from wardeye.recording.retention import (
    JOURNAL_NAME,
    RecordingSpaceExhausted,
    RetentionCompleted,
    RetentionService,
    age_limits,
)

DAY = timedelta(days=1)


def service(
    db: Database, recordings: Path, bus: InProcessBus | None = None, **config: float | None
) -> RetentionService:
    settings = {"max_age_days": 30.0, "keep_free_gb": 0.0, **config}
    return RetentionService(db, RetentionConfig(**settings), recordings, bus=bus, now=lambda: NOW)


def files_under(path: Path) -> set[str]:
    return {p.relative_to(path).as_posix() for p in path.rglob("*.mp4")}


def test_age_limit_comes_from_camera_then_nearest_area_then_default(db: Database) -> None:
    province = add_area(db, "Thành phố Hồ Chí Minh", "province", days=60)
    district = add_area(db, "Quận 1", "district", parent=province)
    ward = add_area(db, "Phường Bến Nghé", "commune", parent=district, days=7)
    village = add_area(db, "Khu phố 3", "village", parent=ward)
    other = add_area(db, "Tỉnh Bình Dương", "province")
    own = add_camera(db, "cam-own", village, days=2)
    from_ward = add_camera(db, "cam-ward", village)
    from_province = add_camera(db, "cam-province", district)
    default = add_camera(db, "cam-default", other)
    with db.session() as s:
        limits = age_limits(s, 30.0)
        no_default = age_limits(s, None)
    assert limits == {own: 2, from_ward: 7, from_province: 60, default: 30.0}
    assert no_default[default] is None


def test_run_once_deletes_rows_and_files_past_each_cameras_limit(
    db: Database, recordings: Path, add_segment: SegmentFactory
) -> None:
    ward = add_area(db, "Phường 1", "commune", days=7)
    short = add_camera(db, "short", ward, days=1)
    medium = add_camera(db, "medium", ward)
    old_short = add_segment(short, 2 * DAY, size=500)
    new_short = add_segment(short, 0.5 * DAY)
    old_medium = add_segment(medium, 8 * DAY, size=700)
    kept_medium = add_segment(medium, 6 * DAY)

    report = service(db, recordings).run_once()

    assert segment_ids(db) == {new_short, kept_medium}
    assert report.deleted_for_age == 2 and report.deleted_bytes == 1200
    assert report.deleted_for_space == 0 and report.space_ok
    assert len(files_under(recordings)) == 2
    assert old_short not in segment_ids(db) and old_medium not in segment_ids(db)
    assert report.recorded_bytes == 2000


def test_locked_footage_survives_its_age_limit_until_the_lock_is_released(
    db: Database, recordings: Path, add_segment: SegmentFactory
) -> None:
    ward = add_area(db, "Phường 2", "commune")
    cam = add_camera(db, "cam", ward, days=1)
    other = add_camera(db, "other", ward, days=1)
    t = NOW - 3 * DAY
    locked = add_segment(cam, 3 * DAY + timedelta(seconds=20), size=400)  # [t-20, t-10]
    touching = add_segment(cam, 3 * DAY + timedelta(seconds=10), size=300)  # [t-10, t]
    after = add_segment(cam, 3 * DAY)  # [t, t+10]: clear of the lock
    free = add_segment(cam, 3 * DAY + timedelta(minutes=5))
    other_cam = add_segment(other, 3 * DAY + timedelta(seconds=20))  # the lock is not its camera's
    lock = add_lock(db, cam, t - timedelta(seconds=15), t - timedelta(seconds=10))
    add_lock(db, cam, NOW - 10 * DAY, NOW, released=True)  # released: protects nothing

    report = service(db, recordings).run_once()

    assert segment_ids(db) == {locked, touching}
    assert report.kept_locked == 2 and report.kept_locked_bytes == 700
    assert report.locked_segments == 2 and report.locked_bytes == 700
    assert {free, after, other_cam}.isdisjoint(segment_ids(db))

    with db.session() as s:
        s.get_one(EvidenceLock, lock).released_at = NOW
    second = service(db, recordings).run_once()
    assert segment_ids(db) == set() and second.deleted_for_age == 2
    assert files_under(recordings) == set()


def test_quota_deletes_oldest_across_cameras_and_skips_locked(
    db: Database, recordings: Path, add_segment: SegmentFactory
) -> None:
    ward = add_area(db, "Phường 3", "commune")
    a = add_camera(db, "a", ward)
    b = add_camera(db, "b", ward)
    oldest_locked = add_segment(a, timedelta(hours=5), size=1000)
    second = add_segment(b, timedelta(hours=4), size=1000)
    third = add_segment(a, timedelta(hours=3), size=1000)
    fourth = add_segment(b, timedelta(hours=2), size=1000)
    newest = add_segment(a, timedelta(hours=1), size=1000)
    add_lock(db, a, NOW - timedelta(hours=5), NOW - timedelta(hours=5) + timedelta(seconds=3))

    report = service(db, recordings, quota_gb=2500 / GIB).run_once()

    # 5000 recorded, 1000 of it locked: the three oldest unlocked go to get under 2500
    assert segment_ids(db) == {oldest_locked, newest}
    assert {second, third, fourth}.isdisjoint(segment_ids(db))
    assert report.deleted_for_space == 3 and report.recorded_bytes == 2000
    assert report.space_ok and report.locked_segments == 1


def test_floor_out_of_reach_deletes_all_unlocked_keeps_locked_and_says_so(
    db: Database, recordings: Path, add_segment: SegmentFactory
) -> None:
    ward = add_area(db, "Phường 4", "commune")
    cam = add_camera(db, "cam", ward)
    ids = [add_segment(cam, timedelta(minutes=m), size=2000) for m in (50, 40, 30, 20)]
    add_lock(db, cam, NOW - timedelta(minutes=30), NOW - timedelta(minutes=30))
    bus = InProcessBus()
    seen: list[Event] = []
    bus.subscribe(Event, seen.append)
    real_free = os.statvfs(recordings).f_bavail * os.statvfs(recordings).f_frsize
    impossible_floor = (real_free + 100 * GIB) / GIB

    report = service(db, recordings, bus=bus, keep_free_gb=impossible_floor).run_once()

    assert segment_ids(db) == {ids[2]}
    assert not report.space_ok and report.deleted_for_space == 3
    assert report.locked_segments == 1 and report.locked_bytes == 2000
    exhausted = [e for e in seen if isinstance(e, RecordingSpaceExhausted)]
    assert len(exhausted) == 1 and exhausted[0].locked_bytes == 2000
    assert any(isinstance(e, RetentionCompleted) and not e.space_ok for e in seen)


def test_make_room_deletes_only_as_much_as_needed_under_the_quota(
    db: Database, recordings: Path, add_segment: SegmentFactory
) -> None:
    ward = add_area(db, "Phường 5", "commune")
    cam = add_camera(db, "cam", ward)
    ids = [add_segment(cam, timedelta(minutes=m), size=1000) for m in (40, 30, 20, 10)]
    retention = service(db, recordings, quota_gb=4000 / GIB)

    assert retention.make_room(1500)
    assert segment_ids(db) == set(ids[2:])
    assert retention.make_room(1)  # 2000 recorded + 1 fits under 4000: nothing more goes
    assert segment_ids(db) == set(ids[2:])


def test_row_goes_first_and_a_crash_before_the_file_is_finished_next_run(
    db: Database, recordings: Path, add_segment: SegmentFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    ward = add_area(db, "Phường 6", "commune")
    cam = add_camera(db, "cam", ward, days=1)
    add_segment(cam, 2 * DAY)
    retention = service(db, recordings)

    def crash(self: Path, missing_ok: bool = False) -> None:
        raise KeyboardInterrupt("power cut")  # what a crash after the row's commit looks like

    with monkeypatch.context() as patch:
        patch.setattr(Path, "unlink", crash)
        with pytest.raises(KeyboardInterrupt):
            retention.run_once()
    # the index never points at a missing file; the file is left over and journalled
    assert segment_ids(db) == set()
    assert len(files_under(recordings)) == 1
    assert (recordings / JOURNAL_NAME).read_text().strip().endswith(".mp4")

    report = service(db, recordings).run_once()
    assert files_under(recordings) == set()
    assert not (recordings / JOURNAL_NAME).exists()
    assert report.errors == ()


def test_journal_never_deletes_a_file_that_is_still_indexed(
    db: Database, recordings: Path, add_segment: SegmentFactory
) -> None:
    ward = add_area(db, "Phường 7", "commune")
    cam = add_camera(db, "cam", ward)
    seg = add_segment(cam, timedelta(hours=1))
    with db.session() as s:
        stored = s.get_one(Segment, seg).path
    (recordings / JOURNAL_NAME).write_text(stored + "\n")

    service(db, recordings).run_once()

    assert segment_ids(db) == {seg} and (recordings / stored).is_file()


def test_missing_files_and_escaping_paths(
    db: Database, recordings: Path, add_segment: SegmentFactory
) -> None:
    ward = add_area(db, "Phường 8", "commune")
    cam = add_camera(db, "cam", ward, days=1)
    missing = add_segment(cam, 3 * DAY, write=False)
    escaping = add_segment(cam, 2 * DAY)
    outside = recordings.parent / "precious.mp4"
    outside.write_bytes(b"x")
    with db.session() as s:
        s.get_one(Segment, escaping).path = "../precious.mp4"

    report = service(db, recordings).run_once()

    assert missing not in segment_ids(db) and report.missing_files == 1
    assert escaping in segment_ids(db) and outside.is_file()
    assert any("outside recordings" in e for e in report.errors)


def test_background_loop_runs_every_interval_and_stops(
    db: Database, recordings: Path, add_segment: SegmentFactory
) -> None:
    ward = add_area(db, "Phường 9", "commune")
    cam = add_camera(db, "cam", ward, days=1)
    retention = service(db, recordings, check_interval_seconds=0.05)
    retention.start()
    try:
        add_segment(cam, 2 * DAY)  # appears after the first pass: a later pass must take it
        deadline = time.monotonic() + 5
        while segment_ids(db) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert segment_ids(db) == set()
    finally:
        retention.stop()
    add_segment(cam, 2 * DAY)
    time.sleep(0.2)
    assert len(segment_ids(db)) == 1  # stopped: nothing runs any more
    with db.session() as s:
        assert s.scalar(select(Segment.bytes)) == 1000
