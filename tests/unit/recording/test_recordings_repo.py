"""Segment and gap repository on a real, migrated SQLite catalog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recording_support import add_camera

from wardeye.catalog import recordings
from wardeye.catalog.database import Database
from wardeye.catalog.recordings import NewSegment

T = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def seg(camera_id: int, start_s: float, length: float = 10.0, stream: str = "main") -> NewSegment:
    start = T + timedelta(seconds=start_s)
    end = start + timedelta(seconds=length)
    return NewSegment(camera_id, stream, start, end, length, 1000, 250, 5,
                      "h264", 1280, 720, f"{camera_id}/{stream}/{start_s}.mp4")  # fmt: skip


def test_segments_between_overlap_order_and_stream(catalog: Database) -> None:
    cam = add_camera(catalog, "Ngã tư")
    with catalog.session() as s:
        for start in (20, 0, 10, 40):
            recordings.add_segment(s, seg(cam, start))
        recordings.add_segment(s, seg(cam, 0, stream="sub"))
    with catalog.session() as s:
        found = recordings.segments_between(
            s, cam, T + timedelta(seconds=5), T + timedelta(seconds=25)
        )
        assert [f.start for f in found] == [T + timedelta(seconds=x) for x in (0, 10, 20)]
        assert found[0].duration == 10.0 and found[0].start.tzinfo is not None
        last = recordings.last_segment(s, cam)
        assert last is not None and last.start == T + timedelta(seconds=40)
        span = recordings.recorded_seconds(
            s, cam, T + timedelta(seconds=5), T + timedelta(seconds=45)
        )
        assert span == 5 + 10 + 10 + 5
        paths = recordings.segment_paths_since(s, cam, "main", T + timedelta(seconds=20))
        assert sorted(paths) == [f"{cam}/main/20.mp4", f"{cam}/main/40.mp4"]
        assert recordings.delete_segments(s, paths.values()) == 2
        assert recordings.count_segments(s, cam) == 3


def test_gap_open_reason_close_and_query(catalog: Database) -> None:
    cam = add_camera(catalog, "Chợ")
    with catalog.session() as s:
        gap = recordings.add_gap(s, cam, "main", T, "reconnecting")
        gap_id = gap.id
    with catalog.session() as s:
        recordings.set_gap_reason(s, gap_id, "camera offline: Connection refused")
        assert [g.id for g in recordings.open_gaps(s, cam, "main")] == [gap_id]
        # an open gap overlaps any later window
        assert recordings.gaps_between(s, cam, T + timedelta(hours=1), T + timedelta(hours=2))
        recordings.close_gap(s, gap_id, T - timedelta(seconds=5))  # never before its start
    with catalog.session() as s:
        closed = recordings.gaps_between(s, cam, T - timedelta(1), T + timedelta(1))[0]
        assert closed.end == T and closed.reason == "camera offline: Connection refused"
        assert not recordings.open_gaps(s)
        recordings.set_gap_reason(s, gap_id, "changed")  # closed gaps keep their reason
    with catalog.session() as s:
        assert recordings.gaps_between(s, cam, T - timedelta(1), T + timedelta(1))[0].reason != (
            "changed"
        )
