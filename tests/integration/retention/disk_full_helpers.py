"""A real small filesystem (tmpfs) and real MP4 segments cut from prepared footage, for the
disk-full tests. Mounting needs root: the fixture fails (not skips) with the reason otherwise,
so CI (which runs as root) can never silently lose these tests."""

from __future__ import annotations

import errno
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest
from sqlalchemy import select

from wardeye.catalog.database import Database
from wardeye.catalog.models import Area, Base, Camera, EvidenceLock, Segment
from wardeye.recording.layout import segment_path, stored_path
from wardeye.testing.media import media_file
from wardeye.testing.tmpfs import mount_tmpfs, unmount

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
SEGMENT_SECONDS = 2


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 40 MiB tmpfs: about 38 two-second 1080p segments fill it."""
    target = tmp_path / "disk"
    mount_tmpfs(target, 40)
    try:
        yield target
    finally:
        unmount(target)


@pytest.fixture
def big_small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 192 MiB tmpfs: the recorder asks for at least 64 MiB of room when the disk fills."""
    target = tmp_path / "disk192"
    mount_tmpfs(target, 192)
    try:
        yield target
    finally:
        unmount(target)


@pytest.fixture(scope="session")
def real_segments(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two-second MP4 segments remuxed (no transcode) from the 1080p 4 Mbit/s clip, ~1 MB each."""
    out = tmp_path_factory.mktemp("segments")
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(media_file("vtest_1080p.mp4")),
         "-c", "copy", "-an", "-f", "segment", "-segment_time", str(SEGMENT_SECONDS),
         "-reset_timestamps", "1", "-segment_format", "mp4", str(out / "seg_%03d.mp4")],
        check=True,
    )  # fmt: skip
    segments = sorted(out.glob("seg_*.mp4"))
    assert len(segments) >= 25, f"expected about 30 segments, got {len(segments)}"
    return segments


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Database]:
    """The catalog lives off the small disk, as on a real box (catalog on the system disk)."""
    database = Database(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def make_cameras(db: Database, count: int, urls: list[str] | None = None) -> list[int]:
    """Cameras in one ward; disabled unless real ``urls`` are given (then the recorder records)."""
    with db.session() as s:
        ward = Area(name="Phường Bến Thành", level="commune")
        s.add(ward)
        s.flush()
        cams = [
            Camera(
                name=f"cam{i}",
                area_id=ward.id,
                main_url=urls[i] if urls else f"rtsp://10.0.0.{i}/main",
                enabled=urls is not None,
            )
            for i in range(count)
        ]
        s.add_all(cams)
        s.flush()
        return [c.id for c in cams]


@dataclass(frozen=True)
class Written:
    segment_id: int
    camera_id: int
    start: datetime
    path: Path
    size: int


class SegmentWriter:
    """Writes real segments into the recordings dir and indexes them, like a recorder would:
    the file is completed first, then its row is inserted. A write that hits ENOSPC removes the
    partial file and raises, so callers see a genuine full disk."""

    def __init__(self, db: Database, root: Path, sources: list[Path], t0: datetime = T0) -> None:
        self.db, self.root, self.sources, self.t0 = db, root, sources, t0
        self.count = 0

    def write(self, camera_id: int) -> Written:
        src = self.sources[self.count % len(self.sources)]
        start = self.t0 + timedelta(seconds=SEGMENT_SECONDS * self.count)
        dest = segment_path(self.root, camera_id, "main", start)  # the recorder's own layout
        rel = stored_path(self.root, dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(src, dest)
        except OSError:
            dest.unlink(missing_ok=True)
            raise
        self.count += 1
        with self.db.session() as s:
            seg = Segment(
                camera_id=camera_id, stream="main", start=start,
                end=start + timedelta(seconds=SEGMENT_SECONDS), duration=SEGMENT_SECONDS,
                bytes=dest.stat().st_size, keyframes=1, codec="h264", width=1920, height=1080,
                path=rel,
            )  # fmt: skip
            s.add(seg)
            s.flush()
            return Written(seg.id, camera_id, start, dest, seg.bytes)

    def fill(self, cameras: list[int]) -> list[Written]:
        """Write round-robin across cameras until the disk really is full (ENOSPC)."""
        written: list[Written] = []
        while True:
            try:
                written.append(self.write(cameras[len(written) % len(cameras)]))
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                return written


def lock(db: Database, camera_id: int, start: datetime, end: datetime) -> None:
    with db.session() as s:
        s.add(EvidenceLock(camera_id=camera_id, start=start, end=end, reason="vụ trộm xe máy"))


def indexed(db: Database) -> dict[int, Segment]:
    with db.session() as s:
        return {seg.id: seg for seg in s.scalars(select(Segment))}


def playable_frames(path: Path) -> int:
    """Video packets PyAV demuxes from the file: proves the kept footage is intact MP4."""
    with av.open(str(path)) as container:
        return sum(1 for p in container.demux(video=0) if p.size)
