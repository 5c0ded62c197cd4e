"""What footage exists for a camera, shaped for the playback timeline: recorded ranges (segments
merged where they follow each other), gaps with their reasons, the segment playing at an instant,
and recorded uptime over a window. Reads the recordings index; never touches files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from wardeye.catalog import recordings
from wardeye.catalog.database import Database
from wardeye.core.clock import ensure_utc

JOIN_SECONDS = 1.5  # segments this close are one continuous range on the timeline
SEARCH_AHEAD = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    start: datetime
    end: datetime
    frames: int
    codec: str
    width: int
    height: int
    path: str  # relative to the recordings folder; never sent to browsers

    @property
    def fps(self) -> float | None:
        seconds = (self.end - self.start).total_seconds()
        return round(self.frames / seconds, 3) if seconds > 0 and self.frames else None


@dataclass(frozen=True, slots=True)
class Gap:
    start: datetime
    end: datetime | None
    reason: str


@dataclass(frozen=True, slots=True)
class Timeline:
    start: datetime
    end: datetime
    ranges: list[tuple[datetime, datetime]]
    gaps: list[Gap]


def merge_ranges(
    segments: Sequence[SegmentInfo], join_seconds: float = JOIN_SECONDS
) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for seg in segments:
        if merged and (seg.start - merged[-1][1]).total_seconds() <= join_seconds:
            merged[-1] = (merged[-1][0], max(merged[-1][1], seg.end))
        else:
            merged.append((seg.start, seg.end))
    return merged


class FootageIndex:
    """Read-only view of the recordings index for playback and camera health."""

    def __init__(self, db: Database, recordings_dir: Path) -> None:
        self._db = db
        self._root = recordings_dir

    def segments(
        self, camera_id: int, start: datetime, end: datetime, stream: str = "main"
    ) -> list[SegmentInfo]:
        with self._db.session() as session:
            rows = recordings.segments_between(session, camera_id, start, end, stream)
            return [
                SegmentInfo(
                    ensure_utc(r.start),
                    ensure_utc(r.end),
                    r.frames,
                    r.codec,
                    r.width,
                    r.height,
                    r.path,
                )
                for r in rows
            ]

    def timeline(
        self, camera_id: int, start: datetime, end: datetime, stream: str = "main"
    ) -> Timeline:
        segments = self.segments(camera_id, start, end, stream)
        with self._db.session() as session:
            gaps = [
                Gap(ensure_utc(g.start), ensure_utc(g.end) if g.end else None, g.reason)
                for g in recordings.gaps_between(session, camera_id, start, end, stream)
            ]
        return Timeline(start, end, merge_ranges(segments), gaps)

    def segment_at(
        self, camera_id: int, at: datetime, stream: str = "main"
    ) -> tuple[SegmentInfo | None, SegmentInfo | None]:
        """(segment playing at ``at``, or None; the first segment starting after ``at``)."""
        found = self.segments(camera_id, at, at + SEARCH_AHEAD, stream)
        current = next((s for s in found if s.start <= at < s.end), None)
        following = next((s for s in found if s.start > at), None)
        return current, following

    def file(self, segment: SegmentInfo) -> Path:
        path = Path(segment.path)
        return path if path.is_absolute() else self._root / path

    def uptime(
        self, camera_id: int, now: datetime, window: timedelta, since: datetime | None = None
    ) -> float | None:
        """Fraction of the window with footage; the window starts no earlier than ``since``
        (when the camera was added). None when the window is empty."""
        start = now - window
        if since is not None:
            start = max(start, ensure_utc(since))
        seconds = (now - start).total_seconds()
        if seconds <= 0:
            return None
        with self._db.session() as session:
            recorded = recordings.recorded_seconds(session, camera_id, start, now)
        return round(min(1.0, recorded / seconds), 4)
