"""The catalog server goes down while recording: finished segments wait in memory and are
indexed, in order and announced, once it is back. Real PostgreSQL, stopped and restarted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from recorder_support import add_camera

from wardeye.catalog import migrate, recordings
from wardeye.catalog.database import Database
from wardeye.core.bus import InProcessBus
from wardeye.core.events import SegmentClosed
from wardeye.ingest.packets import MediaPacket, StreamInfo, ticks_to_delta
from wardeye.ingest.sources import Connection, SourceOptions
from wardeye.ingest.timestamps import TimestampNormalizer
from wardeye.recording.index import StreamIndex
from wardeye.recording.segment_file import FinishedSegment, SegmentWriter
from wardeye.testing.media import media_file
from wardeye.testing.postgres_fixtures import PostgresServer

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[PostgresServer]:
    pg = PostgresServer()
    pg.start()
    try:
        yield pg
    finally:
        pg.stop()


def two_second_segments(root: Path, camera_id: int, count: int) -> list[FinishedSegment]:
    norm = TimestampNormalizer()
    with Connection(str(media_file("testsrc_720p.mp4")), SourceOptions()) as conn:
        info = StreamInfo(camera_id, "main", conn.codec, conn.width, conn.height, conn.fps,
                          b"", "x", 1)  # fmt: skip
        packets = []
        for raw in conn.packets():
            st = norm.push(raw.pts, raw.dts)
            if st is None:
                continue
            if st.dts >= count * 2 * 90_000:
                break
            packets.append(MediaPacket(raw.data, st.pts, st.dts, st.duration, raw.keyframe,
                                       T0 + ticks_to_delta(st.dts)))  # fmt: skip
    done = []
    for n in range(count):
        chunk = packets[n * 50 : (n + 1) * 50]
        writer = SegmentWriter(root, info, chunk[0])
        for packet in chunk:
            writer.write(packet)
        start = T0 + timedelta(seconds=2 * n)
        done.append(writer.finish(start, start + timedelta(seconds=2), None))
    return done


def test_segments_wait_for_the_catalog_and_are_indexed_in_order(
    server: PostgresServer, tmp_path: Path
) -> None:
    url = server.create_database()
    migrate.upgrade(url)
    db = Database(url)
    try:
        cam = add_camera(db, "Cầu Ông Lãnh", "rtsp://cam/1")
        bus = InProcessBus()
        closed: list[SegmentClosed] = []
        bus.subscribe(SegmentClosed, closed.append)
        index = StreamIndex(db, bus, tmp_path, cam, "main", now=lambda: T0)
        index.begin()
        first, second, third = two_second_segments(tmp_path, cam, 3)
        assert index.segment_finished(first)
        server._run("pg_ctl", "-D", str(server._data), "-m", "fast", "-w", "stop")
        assert not index.segment_finished(second)  # kept, not lost
        assert [e.start for e in closed] == [first.start]
        server._pg_ctl_start()
        assert index.segment_finished(third)
        assert [e.start for e in closed] == [first.start, second.start, third.start]
        with db.session() as s:
            rows = recordings.segments_between(s, cam, T0 - timedelta(1), T0 + timedelta(1))
            assert [r.start for r in rows] == [first.start, second.start, third.start]
            assert not recordings.open_gaps(s, cam)
        assert index.last_end == third.end
    finally:
        db.dispose()
