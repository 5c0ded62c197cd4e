"""Real SQLite catalogs, real clips and ffprobe for the recording unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wardeye.catalog import migrate
from wardeye.catalog.database import Database
from wardeye.catalog.models import Area, Camera
from wardeye.ingest.packets import MediaPacket, ticks_to_delta
from wardeye.ingest.sources import Connection, SourceOptions
from wardeye.ingest.timestamps import TimestampNormalizer
from wardeye.testing.media import media_file
from wardeye.testing.segment_checks import decodes_cleanly, ffprobe  # noqa: F401

T0 = datetime(2026, 11, 25, 3, 59, 50, tzinfo=UTC)


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


def add_camera(db: Database, name: str, url: str = "rtsp://cam/x", enabled: bool = True) -> int:
    with db.session() as s:
        area = s.query(Area).first()
        if area is None:
            area = Area(name="Phường Bến Nghé", level="commune")
            s.add(area)
            s.flush()
        cam = Camera(name=name, area_id=area.id, main_url=url, enabled=enabled)
        s.add(cam)
        s.flush()
        return cam.id


def clip_packets(
    clip: str | Path, seconds: float | None = None, t0: datetime = T0
) -> tuple[Connection, list[MediaPacket]]:
    """A real clip's packets as the reader would emit them (Annex-B, 90 kHz), unpaced, with
    ``at`` = t0 + dts. Stops after ``seconds`` of media, looping the file as the simulator
    does (None: one pass)."""
    path = clip if isinstance(clip, Path) else media_file(clip)
    conn = Connection(str(path), SourceOptions())
    norm = TimestampNormalizer()
    out: list[MediaPacket] = []
    with conn:
        for raw in conn.packets() if seconds else conn._demux_once():
            st = norm.push(raw.pts, raw.dts)
            assert st is not None
            if seconds is not None and st.dts >= seconds * 90_000:
                break
            out.append(
                MediaPacket(
                    raw.data, st.pts, st.dts, st.duration, raw.keyframe, t0 + ticks_to_delta(st.dts)
                )
            )
    return conn, out
