"""Segment and gap repository: what footage exists for a camera, and why some does not.

Segments are added only once their file is complete and renamed into place; ``path`` is relative
to the recordings folder (``Config.recordings_dir()``). A gap runs from the end of the last
segment written to the start of the first segment after the interruption; an open gap
(``end`` is NULL) is still going on. Reasons: ``camera offline: <why>``, ``reconnecting``,
``recorder stopped``, ``disk full``, ``recorder overloaded``, ``recording disabled``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from wardeye.catalog.models import RecordingGap, Segment


@dataclass(frozen=True, slots=True)
class NewSegment:
    """A finished file, as the recorder describes it to the index. ``start``/``end`` are wall
    clock (UTC) bounds; ``duration`` is the file's own playing time, which differs from
    ``end - start`` only by the small corrections of a camera clock that drifts."""

    camera_id: int
    stream: str
    start: datetime
    end: datetime
    duration: float
    bytes: int
    frames: int
    keyframes: int
    codec: str
    width: int
    height: int
    path: str


def add_segment(session: Session, new: NewSegment) -> Segment:
    segment = Segment(
        camera_id=new.camera_id,
        stream=new.stream,
        start=new.start,
        end=new.end,
        duration=new.duration,
        bytes=new.bytes,
        frames=new.frames,
        keyframes=new.keyframes,
        codec=new.codec,
        width=new.width,
        height=new.height,
        path=new.path,
    )
    session.add(segment)
    session.flush()
    return segment


def segments_between(
    session: Session, camera_id: int, start: datetime, end: datetime, stream: str = "main"
) -> Sequence[Segment]:
    """Segments of a camera stream that overlap [start, end), oldest first."""
    query = (
        select(Segment)
        .where(
            Segment.camera_id == camera_id,
            Segment.stream == stream,
            Segment.start < end,
            Segment.end > start,
        )
        .order_by(Segment.start)
    )
    return session.scalars(query).all()


def last_segment(session: Session, camera_id: int, stream: str = "main") -> Segment | None:
    query = (
        select(Segment)
        .where(Segment.camera_id == camera_id, Segment.stream == stream)
        .order_by(Segment.start.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def segment_paths_since(
    session: Session, camera_id: int, stream: str, since: datetime | None
) -> dict[str, int]:
    """Stored path -> segment id, for segments starting at or after ``since`` (None: all)."""
    query = select(Segment.path, Segment.id).where(
        Segment.camera_id == camera_id, Segment.stream == stream
    )
    if since is not None:
        query = query.where(Segment.start >= since)
    return {path: seg_id for path, seg_id in session.execute(query)}


def delete_segments(session: Session, ids: Iterable[int]) -> int:
    wanted = list(ids)
    if not wanted:
        return 0
    result = session.execute(delete(Segment).where(Segment.id.in_(wanted)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def recorded_seconds(
    session: Session, camera_id: int, start: datetime, end: datetime, stream: str = "main"
) -> float:
    """Seconds of footage inside [start, end) (segments clipped to the window)."""
    total = 0.0
    for seg in segments_between(session, camera_id, start, end, stream):
        total += (min(seg.end, end) - max(seg.start, start)).total_seconds()
    return max(0.0, total)


def count_segments(session: Session, camera_id: int | None = None) -> int:
    query = select(func.count()).select_from(Segment)
    if camera_id is not None:
        query = query.where(Segment.camera_id == camera_id)
    return int(session.scalar(query) or 0)


# -- gaps -----------------------------------------------------------------------------------


def add_gap(
    session: Session,
    camera_id: int,
    stream: str,
    start: datetime,
    reason: str,
    end: datetime | None = None,
) -> RecordingGap:
    """Record a gap; leave ``end`` None while it is still going on."""
    gap = RecordingGap(camera_id=camera_id, stream=stream, start=start, end=end, reason=reason)
    session.add(gap)
    session.flush()
    return gap


def close_gap(session: Session, gap_id: int, end: datetime) -> None:
    """End an open gap (never before its start)."""
    gap = session.get(RecordingGap, gap_id)
    if gap is None or gap.end is not None:
        return
    gap.end = max(end, gap.start)
    session.flush()


def set_gap_reason(session: Session, gap_id: int, reason: str) -> None:
    session.execute(
        update(RecordingGap)
        .where(RecordingGap.id == gap_id, RecordingGap.end.is_(None))
        .values(reason=reason)
    )


def open_gaps(
    session: Session, camera_id: int | None = None, stream: str | None = None
) -> Sequence[RecordingGap]:
    query = select(RecordingGap).where(RecordingGap.end.is_(None))
    if camera_id is not None:
        query = query.where(RecordingGap.camera_id == camera_id)
    if stream is not None:
        query = query.where(RecordingGap.stream == stream)
    return session.scalars(query.order_by(RecordingGap.start)).all()


def gaps_between(
    session: Session, camera_id: int, start: datetime, end: datetime, stream: str = "main"
) -> Sequence[RecordingGap]:
    """Gaps that overlap [start, end), open ones included, oldest first."""
    query = (
        select(RecordingGap)
        .where(
            RecordingGap.camera_id == camera_id,
            RecordingGap.stream == stream,
            RecordingGap.start < end,
            (RecordingGap.end.is_(None)) | (RecordingGap.end > start),
        )
        .order_by(RecordingGap.start)
    )
    return session.scalars(query).all()
