#!/usr/bin/env python3
"""How long a retention pass takes on a big catalog.

Fills a fresh SQLite catalog with ``--cameras`` × ``--segments`` rows of 10 s segments ending
now, 20 evidence locks on old footage plus one on the last hour, and an empty file for the
oldest ``--delete`` segments of each camera. Then times: a steady pass (nothing old enough to
delete), ``make_room`` when there is room, and an age pass that deletes those oldest segments
(rows and files). Usage:

    .venv/bin/python bench/bench_retention.py --cameras 50 --segments 20000 --delete 1000
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from wardeye.catalog.database import Database
from wardeye.catalog.models import Area, Base, Camera, EvidenceLock, Segment
from wardeye.config.models import RetentionConfig
from wardeye.core.clock import utc_now
from wardeye.recording.retention import RetentionService

SECONDS = 10


def row(camera_id: int, k: int, t0: datetime) -> dict[str, object]:
    start = t0 + timedelta(seconds=SECONDS * k)
    return {
        "camera_id": camera_id, "stream": "main", "start": start,
        "end": start + timedelta(seconds=SECONDS), "duration": float(SECONDS),
        "bytes": 5_000_000, "keyframes": 5, "frames": 250, "codec": "h264",
        "width": 1920, "height": 1080, "path": f"{camera_id}/main/{k}.mp4", "created_at": t0,
    }  # fmt: skip


def fill(db: Database, cameras: int, per_camera: int, t0: datetime) -> list[int]:
    with db.session() as s:
        area = Area(name="Bench", level="commune")
        s.add(area)
        s.flush()
        cams = [Camera(name=f"c{i}", area_id=area.id, main_url="rtsp://x") for i in range(cameras)]
        s.add_all(cams)
        s.flush()
        ids = [c.id for c in cams]
    with db.engine.begin() as conn:
        for cid in ids:
            conn.execute(insert(Segment), [row(cid, k, t0) for k in range(per_camera)])
    now = t0 + timedelta(seconds=SECONDS * per_camera)
    with db.session() as s:
        for cid in ids[:20]:
            start = t0 + timedelta(hours=3)
            s.add(EvidenceLock(camera_id=cid, start=start, end=start + timedelta(hours=1),
                               reason="bench"))  # fmt: skip
        s.add(EvidenceLock(camera_id=ids[0], start=now - timedelta(hours=1), end=now,
                           reason="bench"))  # fmt: skip
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=50)
    parser.add_argument("--segments", type=int, default=20000, help="per camera")
    parser.add_argument("--delete", type=int, default=1000, help="oldest per camera to expire")
    parser.add_argument("--work-dir", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wardeye-retention-", dir=args.work_dir))
    try:
        recordings = work / "recordings"
        db = Database(f"sqlite:///{work / 'catalog.sqlite3'}")
        Base.metadata.create_all(db.engine)
        span = timedelta(seconds=SECONDS * args.segments)
        started = time.monotonic()
        ids = fill(db, args.cameras, args.segments, utc_now() - span)
        total = args.cameras * args.segments
        print(f"indexed {total} segments in {time.monotonic() - started:.1f} s")
        for cid in ids:
            folder = recordings / str(cid) / "main"
            folder.mkdir(parents=True)
            for k in range(args.delete):
                (folder / f"{k}.mp4").touch()

        keep_all = RetentionConfig(max_age_days=span.days + 2, keep_free_gb=0)
        service = RetentionService(db, keep_all, recordings)
        started = time.monotonic()
        report = service.run_once()
        print(f"steady pass: {time.monotonic() - started:.2f} s "
              f"(deleted {report.deleted_segments}, locked {report.locked_segments})")  # fmt: skip
        started = time.monotonic()
        service.make_room(1)
        print(f"make_room with room to spare: {time.monotonic() - started:.3f} s")

        keep_days = (span - timedelta(seconds=SECONDS * args.delete)).total_seconds() / 86400
        service = RetentionService(
            db, RetentionConfig(max_age_days=keep_days, keep_free_gb=0), recordings
        )
        started = time.monotonic()
        report = service.run_once()
        took = time.monotonic() - started
        print(f"age pass: {report.deleted_segments} segments deleted in {took:.2f} s "
              f"({report.deleted_segments / took:.0f}/s), {report.missing_files} files "
              f"already missing")  # fmt: skip
        db.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
