"""The index side of one recorded camera stream: segment rows, gap rows, SegmentClosed events.

A gap opens at the end of the last segment indexed and closes at the start of the first segment
indexed after the interruption, in the same transaction as that segment's row, so the index never
shows footage and a gap over the same moment.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from wardeye.catalog import recordings
from wardeye.catalog.database import Database
from wardeye.catalog.recordings import NewSegment
from wardeye.core.bus import EventBus
from wardeye.core.clock import utc_now
from wardeye.core.events import SegmentClosed
from wardeye.recording.layout import stored_path
from wardeye.recording.segment_file import FinishedSegment

log = logging.getLogger(__name__)

GAP_RECONNECTING = "reconnecting"
GAP_STARTING = "recorder starting"
GAP_STOPPED = "recorder stopped"
GAP_DISK_FULL = "disk full"
GAP_OVERLOADED = "recorder overloaded"
GAP_DISABLED = "recording disabled"
GAP_OFFLINE_PREFIX = "camera offline: "
# Reasons the health watcher may replace by "camera offline: ..." once the grace period is over.
REPLACEABLE_BY_OFFLINE = frozenset({GAP_RECONNECTING, GAP_STARTING})
INDEX_ATTEMPTS = 3
BACKLOG_LIMIT = 360  # finished segments kept in memory while the catalog is down (1 h at 10 s)
_STORED, _REJECTED, _RETRY = 0, 1, 2


class StreamIndex:
    """Thread-safe: the segmenter, the health watcher and the recorder all call in."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        root: Path,
        camera_id: int,
        stream: str,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = db
        self._bus = bus
        self._root = root
        self.camera_id = camera_id
        self.stream = stream
        self._now = now
        self._lock = threading.Lock()
        self._gap: tuple[int, str] | None = None  # (id, reason) of the open gap
        self.last_end: datetime | None = None
        self.segments_written = 0
        self._backlog: deque[FinishedSegment] = deque()

    def begin(self) -> None:
        """Recorder (re)start: close what the previous run left open, mark the time it was not
        running as 'recorder stopped', and open a 'recorder starting' gap until footage comes."""
        now = self._now()
        with self._lock, self._db.session() as s:
            last = recordings.last_segment(s, self.camera_id, self.stream)
            self.last_end = last.end if last else None
            stale = recordings.open_gaps(s, self.camera_id, self.stream)
            for gap in stale:
                recordings.close_gap(s, gap.id, now)
            if not stale and self.last_end is not None and self.last_end < now:
                recordings.add_gap(s, self.camera_id, self.stream, self.last_end, GAP_STOPPED, now)
            gap = recordings.add_gap(s, self.camera_id, self.stream, now, GAP_STARTING)
            self._gap = (gap.id, GAP_STARTING)

    def segment_finished(self, seg: FinishedSegment) -> bool:
        """Index a published file (closing the open gap at its start) and announce it. If the
        catalog is unreachable the segment waits in memory and is indexed, in order, with the
        next one (files left over at a crash are indexed by the next start's reconcile)."""
        if len(self._backlog) >= BACKLOG_LIMIT:
            dropped = self._backlog.popleft()
            log.error("camera %d/%s: %s left for the next start to index (catalog down)",
                      self.camera_id, self.stream, dropped.path)  # fmt: skip
        self._backlog.append(seg)
        while self._backlog:
            head = self._backlog[0]
            outcome = self._store(self._row(head))
            if outcome == _RETRY:
                return False
            self._backlog.popleft()
            if outcome == _STORED:
                self._announce(head)
        return True

    def _row(self, seg: FinishedSegment) -> NewSegment:
        return NewSegment(
            camera_id=seg.camera_id,
            stream=seg.stream,
            start=seg.start,
            end=seg.end,
            duration=seg.duration,
            bytes=seg.bytes,
            frames=seg.frames,
            keyframes=seg.keyframes,
            codec=seg.codec,
            width=seg.width,
            height=seg.height,
            path=stored_path(self._root, seg.path),
        )

    def _announce(self, seg: FinishedSegment) -> None:
        self._bus.publish(
            SegmentClosed(
                camera_id=seg.camera_id,
                stream=seg.stream,
                path=str(seg.path),
                start=seg.start,
                end=seg.end,
                bytes=seg.bytes,
            )
        )

    def _store(self, new: NewSegment) -> int:
        for attempt in range(1, INDEX_ATTEMPTS + 1):
            try:
                with self._lock:
                    with self._db.session() as s:
                        recordings.add_segment(s, new)
                        if self._gap is not None:
                            recordings.close_gap(s, self._gap[0], new.start)
                    self._gap = None
                    self.last_end = new.end
                    self.segments_written += 1
                return _STORED
            except IntegrityError:
                log.error("camera %d/%s: segment %s not indexed (camera removed?)",
                          self.camera_id, self.stream, new.path)  # fmt: skip
                return _REJECTED
            except DBAPIError as exc:
                log.warning("camera %d/%s: indexing %s failed (try %d): %s", self.camera_id,
                            self.stream, new.path, attempt, exc.orig)  # fmt: skip
                time.sleep(0.5 * attempt)
        log.error("camera %d/%s: catalog unreachable; %s will be indexed with the next segment",
                  self.camera_id, self.stream, new.path)  # fmt: skip
        return _RETRY

    def interrupted(self, reason: str) -> None:
        """Footage stopped: open a gap from the end of the last segment (if none is open)."""
        with self._lock:
            if self._gap is None:
                self._open_gap(self.last_end or self._now(), reason)

    def stopped(self, reason: str = GAP_STOPPED) -> None:
        """The recorder stops recording this stream: whatever gap is open ends now, and a gap
        with ``reason`` runs until recording starts again."""
        now = self._now()
        with self._lock:
            if self._gap is not None:
                gap_id = self._gap[0]
                if self._run(lambda s: recordings.close_gap(s, gap_id, now)):
                    self._gap = None
            if self._gap is None:
                self._open_gap(self.last_end or now, reason)

    def offline(self, why: str) -> None:
        """The health watcher saw the camera offline past the grace period."""
        reason = GAP_OFFLINE_PREFIX + why
        with self._lock:
            if self._gap is None or self._gap[1] not in REPLACEABLE_BY_OFFLINE:
                return
            gap_id = self._gap[0]
            if self._run(lambda s: recordings.set_gap_reason(s, gap_id, reason)):
                self._gap = (gap_id, reason)

    def open_gap_reason(self) -> str | None:
        with self._lock:
            return None if self._gap is None else self._gap[1]

    def _open_gap(self, start: datetime, reason: str) -> None:
        ids: list[int] = []
        if self._run(lambda s: ids.append(
                recordings.add_gap(s, self.camera_id, self.stream, start, reason).id)):  # fmt: skip
            self._gap = (ids[0], reason)

    def _run(self, action: Callable[[Session], object]) -> bool:
        try:
            with self._db.session() as s:
                action(s)
            return True
        except IntegrityError:  # the camera was deleted while it was being recorded
            log.info("camera %d/%s: no gap recorded (camera removed)", self.camera_id,
                     self.stream)  # fmt: skip
            return False
        except DBAPIError as exc:
            log.error("camera %d/%s: gap not recorded: %s", self.camera_id, self.stream,
                      exc.orig)  # fmt: skip
            return False
