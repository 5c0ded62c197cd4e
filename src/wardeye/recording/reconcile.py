"""Startup clean-up: make the files on disk and the segment index agree again after a crash.

A kill -9 or power cut can leave, for the newest moments only:
* a ``.partial`` file cut mid-fragment: salvaged up to its last complete fragment and indexed,
  or deleted if nothing playable is left;
* a complete file renamed into place but not yet indexed: indexed if it plays, else deleted;
* an index row whose file is gone (a crash inside a deletion): the row is removed.
Only the hour folders from one hour before the newest indexed segment onwards are scanned, so
startup stays fast with months of footage; ``full=True`` scans everything. Files retention has
journalled for deletion are left to retention. Unknown files are never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wardeye.catalog import recordings
from wardeye.catalog.database import Database
from wardeye.catalog.recordings import NewSegment
from wardeye.core.events import SegmentClosed
from wardeye.recording.inspect import SegmentFacts, inspect_segment, remove_quietly, salvage
from wardeye.recording.layout import (
    PARTIAL_SUFFIX,
    SEGMENT_SUFFIX,
    final_path,
    start_from_name,
    stored_path,
    stream_dir,
)
from wardeye.recording.retention import JOURNAL_NAME
from wardeye.recording.segment_file import publish

log = logging.getLogger(__name__)

LOOKBACK = timedelta(hours=1)


@dataclass(slots=True)
class ReconcileReport:
    scanned: int = 0
    salvaged: int = 0
    indexed: int = 0
    deleted: int = 0
    rows_removed: int = 0

    def add(self, other: ReconcileReport) -> None:
        self.scanned += other.scanned
        self.salvaged += other.salvaged
        self.indexed += other.indexed
        self.deleted += other.deleted
        self.rows_removed += other.rows_removed

    @property
    def changed(self) -> bool:
        return bool(self.salvaged or self.indexed or self.deleted or self.rows_removed)


def journalled(root: Path) -> set[str]:
    """Stored paths retention is in the middle of deleting."""
    try:
        return {line for line in (root / JOURNAL_NAME).read_text().splitlines() if line}
    except (FileNotFoundError, UnicodeDecodeError):
        return set()


def _hour_of(folder: Path, base: Path) -> datetime | None:
    try:
        y, m, d, h = (int(p) for p in folder.relative_to(base).parts)
        return datetime(y, m, d, h, tzinfo=UTC)
    except (ValueError, TypeError):
        return None


def _hour_folders(base: Path, since: datetime | None) -> list[Path]:
    floor = None if since is None else since.replace(minute=0, second=0, microsecond=0)
    found = []
    for folder in base.glob("[0-9]*/[0-9]*/[0-9]*/[0-9]*"):
        hour = _hour_of(folder, base)
        if folder.is_dir() and hour is not None and (floor is None or hour >= floor):
            found.append(folder)
    return sorted(found)


Announce = Callable[[SegmentClosed], None]


class _StreamReconciler:
    def __init__(
        self, db: Database, root: Path, camera_id: int, stream: str, announce: Announce | None
    ) -> None:
        self.db, self.root, self.camera_id, self.stream = db, root, camera_id, stream
        self.announce = announce
        self.report = ReconcileReport()

    def run(self, full: bool, skip: set[str]) -> ReconcileReport:
        base = stream_dir(self.root, self.camera_id, self.stream)
        if not base.is_dir():
            return self.report
        with self.db.session() as s:
            last = recordings.last_segment(s, self.camera_id, self.stream)
            since = None if full or last is None else last.start - LOOKBACK
            floor = None if since is None else since.replace(minute=0, second=0, microsecond=0)
            known = recordings.segment_paths_since(s, self.camera_id, self.stream, floor)
        seen: set[str] = set()
        for folder in _hour_folders(base, since):
            for path in sorted(folder.iterdir()):
                stored = stored_path(self.root, path)
                seen.add(stored)
                if stored in skip or not path.is_file():
                    continue
                if path.name.endswith(SEGMENT_SUFFIX + PARTIAL_SUFFIX):
                    self._partial(path)
                elif path.name.endswith(SEGMENT_SUFFIX) and stored not in known:
                    self._unindexed(path)
        self._drop_missing({p: i for p, i in known.items() if p not in seen})
        return self.report

    def _partial(self, path: Path) -> None:
        self.report.scanned += 1
        facts = salvage(path)
        final = final_path(path)
        if facts is None or final.exists():
            remove_quietly(path)
            self.report.deleted += 1
            log.warning("removed interrupted segment %s (nothing playable)", path.name)
            return
        publish(path, final)
        if self._index(final, facts):
            self.report.salvaged += 1
            log.warning("salvaged interrupted segment %s (%.1f s)", final.name, facts.duration)

    def _unindexed(self, path: Path) -> None:
        self.report.scanned += 1
        facts = inspect_segment(path)
        if facts is None:
            remove_quietly(path)
            self.report.deleted += 1
            log.warning("removed unplayable segment %s", path.name)
        elif self._index(path, facts):
            self.report.indexed += 1
            log.warning("indexed segment %s the previous run did not index", path.name)

    def _index(self, path: Path, facts: SegmentFacts) -> bool:
        start = start_from_name(path)
        if start is None:
            return False
        end = start + timedelta(seconds=facts.duration)
        size = path.stat().st_size
        with self.db.session() as s:
            recordings.add_segment(
                s,
                NewSegment(
                    camera_id=self.camera_id,
                    stream=self.stream,
                    start=start,
                    end=end,
                    duration=facts.duration,
                    bytes=size,
                    frames=facts.frames,
                    keyframes=facts.keyframes,
                    codec=facts.codec,
                    width=facts.width,
                    height=facts.height,
                    path=stored_path(self.root, path),
                ),
            )
        if self.announce is not None:
            self.announce(SegmentClosed(self.camera_id, self.stream, str(path), start, end, size))
        return True

    def _drop_missing(self, missing: dict[str, int]) -> None:
        gone = {p: i for p, i in missing.items() if not (self.root / p).exists()}
        if not gone:
            return
        with self.db.session() as s:
            self.report.rows_removed += recordings.delete_segments(s, gone.values())
        log.warning("camera %d/%s: removed %d index rows whose files are missing",
                    self.camera_id, self.stream, len(gone))  # fmt: skip


def reconcile(
    db: Database,
    root: Path,
    streams: list[tuple[int, str]],
    full: bool = False,
    announce: Announce | None = None,
) -> ReconcileReport:
    """Reconcile each (camera_id, stream) folder with the index; see the module docstring.
    ``announce`` receives a SegmentClosed for each segment it indexes (salvaged or found)."""
    total = ReconcileReport()
    skip = journalled(root)
    for camera_id, stream in streams:
        total.add(_StreamReconciler(db, root, camera_id, stream, announce).run(full, skip))
    return total
