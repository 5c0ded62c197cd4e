"""A real SQLite catalog and real files on disk for retention tests (helpers + fixtures)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from wardeye.catalog.database import Database
from wardeye.catalog.models import Area, Base, Camera, EvidenceLock, Segment

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    path = tmp_path / "recordings"
    path.mkdir()
    return path


def add_area(
    db: Database, name: str, level: str, parent: int | None = None, days: float | None = None
) -> int:
    with db.session() as s:
        area = Area(name=name, level=level, parent_id=parent, retention_days=days)
        s.add(area)
        s.flush()
        return area.id


def add_camera(db: Database, name: str, area_id: int, days: float | None = None) -> int:
    with db.session() as s:
        cam = Camera(name=name, area_id=area_id, main_url=f"rtsp://cam/{name}", retention_days=days)
        s.add(cam)
        s.flush()
        return cam.id


SegmentFactory = Callable[..., int]


@pytest.fixture
def add_segment(db: Database, recordings: Path) -> SegmentFactory:
    """Index a segment ``age`` before NOW lasting 10 s, with a real file of ``size`` bytes."""

    def make(camera_id: int, age: timedelta, size: int = 1000, write: bool = True) -> int:
        start = NOW - age
        rel = f"cam{camera_id}/{start:%Y%m%dT%H%M%S}.mp4"
        if write:
            (recordings / rel).parent.mkdir(parents=True, exist_ok=True)
            (recordings / rel).write_bytes(b"\0" * size)
        with db.session() as s:
            seg = Segment(
                camera_id=camera_id,
                stream="main",
                start=start,
                end=start + timedelta(seconds=10),
                duration=10.0,
                bytes=size,
                keyframes=5,
                path=rel,
            )
            s.add(seg)
            s.flush()
            return seg.id

    return make


def add_lock(
    db: Database, camera_id: int, start: datetime, end: datetime, released: bool = False
) -> int:
    with db.session() as s:
        lock = EvidenceLock(
            camera_id=camera_id,
            start=start,
            end=end,
            reason="vụ việc 12/2026",
            released_at=NOW if released else None,
        )
        s.add(lock)
        s.flush()
        return lock.id


def segment_ids(db: Database) -> set[int]:
    with db.session() as s:
        return set(s.scalars(select(Segment.id)))
