"""Retention: delete footage past its age limit and keep the recordings disk under its quota and
above its free-space floor, oldest first, never touching footage under an active evidence lock.

Order of a deletion, and why: the index row goes first, in a transaction whose ``DELETE`` re-checks
the evidence locks (so a lock placed a moment ago still wins), then the file. A crash between the
two leaves a file nobody indexes (wasted bytes) and never an index row pointing to a missing file,
which playback and evidence exports would trust. Those wasted bytes are not lost for good: the
paths are written to a small pending-deletes journal before the rows go, and the next run removes
any journalled file whose row is gone.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import ColumnElement, delete, exists, func, select
from sqlalchemy.orm import Session

from wardeye.audit.records import AuditAction, AuditRecord, AuditSink
from wardeye.catalog.database import Database
from wardeye.catalog.models import STREAMS, Area, Camera, EvidenceLock, Segment
from wardeye.config.models import RetentionConfig
from wardeye.core.bus import EventBus
from wardeye.core.clock import utc_now
from wardeye.core.events import Event
from wardeye.recording.disk import disk_usage, gib_to_bytes

log = logging.getLogger(__name__)

BATCH = 200
MAX_SEGMENT_SPAN = timedelta(hours=1)  # segments are <= 600 s plus a GOP (RecordingConfig)
JOURNAL_NAME = ".retention-pending"
AUDITED_FIELDS = ("deleted_segments", "deleted_bytes", "deleted_for_age", "deleted_for_space",
                  "kept_locked", "kept_locked_bytes", "locked_segments", "free_bytes",
                  "space_ok")  # fmt: skip


@dataclass(frozen=True, slots=True)
class RetentionCompleted(Event):
    """A retention pass deleted something, or could not meet the space floor."""

    deleted_segments: int
    deleted_bytes: int
    kept_locked: int
    free_bytes: int
    space_ok: bool


@dataclass(frozen=True, slots=True)
class RecordingSpaceExhausted(Event):
    """Nothing unlocked is left to delete and the disk is still below its floor: an operator must
    add disk or release evidence locks, or recording will stop."""

    free_bytes: int
    wanted_free_bytes: int
    locked_bytes: int


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What one pass did. ``kept_locked`` counts segments past their age limit that an active
    evidence lock kept; ``locked_*`` is everything currently held by locks."""

    started_at: datetime
    deleted_segments: int
    deleted_bytes: int
    deleted_for_age: int
    deleted_for_space: int
    kept_locked: int
    kept_locked_bytes: int
    locked_segments: int
    locked_bytes: int
    missing_files: int
    recorded_bytes: int
    free_bytes: int
    space_ok: bool
    errors: tuple[str, ...]


@dataclass(slots=True)
class _Tally:
    """Counters filled during a pass; frozen into a RetentionReport at the end."""

    deleted_for_age: int = 0
    deleted_for_space: int = 0
    deleted_bytes: int = 0
    kept_locked: int = 0
    kept_locked_bytes: int = 0
    missing_files: int = 0
    errors: list[str] = field(default_factory=list)


class _Candidate(NamedTuple):
    id: int
    path: str
    bytes: int


def locked_clause() -> ColumnElement[bool]:
    """True for a segment that overlaps an active (unreleased) evidence lock of its camera.
    Bounds are inclusive: a lock ending exactly where a segment starts still keeps it."""
    return exists().where(
        EvidenceLock.camera_id == Segment.camera_id,
        EvidenceLock.released_at.is_(None),
        EvidenceLock.start <= Segment.end,
        EvidenceLock.end >= Segment.start,
    )


def locked_totals(session: Session) -> tuple[int, int]:
    """Segments and bytes held by active locks, for reports. Driven from the (few) locks so it
    stays cheap with millions of segments; a segment starting more than ``MAX_SEGMENT_SPAN``
    before a lock is not looked for (reporting only: deletion uses the exact locked_clause)."""
    locks = session.execute(
        select(EvidenceLock.camera_id, EvidenceLock.start, EvidenceLock.end).where(
            EvidenceLock.released_at.is_(None)
        )
    ).all()
    held: dict[int, int] = {}
    for camera_id, start, end in locks:
        rows = session.execute(
            select(Segment.id, Segment.bytes).where(
                Segment.camera_id == camera_id,
                Segment.stream.in_(STREAMS),
                Segment.start >= start - MAX_SEGMENT_SPAN,
                Segment.start <= end,
                Segment.end >= start,
            )
        )
        held.update((row.id, row.bytes) for row in rows)
    return len(held), sum(held.values())


def age_limits(session: Session, default_days: float | None) -> dict[int, float | None]:
    """Days of footage to keep per camera: the camera's own setting, else the nearest area up
    the parent chain that sets one, else ``default_days`` (None: no age limit)."""
    areas = {
        row.id: (row.parent_id, row.retention_days)
        for row in session.execute(select(Area.id, Area.parent_id, Area.retention_days))
    }
    limits: dict[int, float | None] = {}
    for cam in session.execute(select(Camera.id, Camera.area_id, Camera.retention_days)):
        days = cam.retention_days
        area_id: int | None = cam.area_id
        seen: set[int] = set()
        while days is None and area_id is not None and area_id not in seen:
            seen.add(area_id)
            parent_id, days = areas.get(area_id, (None, None))
            area_id = parent_id
        limits[cam.id] = days if days is not None else default_days
    return limits


class PendingDeletes:
    """A tiny journal of files whose index rows are about to be deleted, so a crash between
    'row gone' and 'file gone' can be finished on the next run instead of leaking disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, stored_paths: Iterable[str]) -> None:
        data = b"".join(os.fsencode(p) + b"\n" for p in stored_paths)
        try:
            with open(self.path, "ab") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:  # a full disk may refuse even this; row-first order still holds
            log.warning("retention journal not written (%s); a crash now would leak files", exc)

    def entries(self) -> list[str]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        return [os.fsdecode(line) for line in raw.split(b"\n") if line]

    def replace(self, stored_paths: Sequence[str]) -> None:
        if not stored_paths:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(b"".join(os.fsencode(p) + b"\n" for p in stored_paths))
        tmp.replace(self.path)


class RetentionService:
    """Deletes expired and surplus footage. ``run_once`` is one full pass; ``make_room`` is the
    recorder's on-disk-full hook; ``start``/``stop`` run passes in a background thread."""

    def __init__(
        self,
        db: Database,
        config: RetentionConfig,
        recordings_dir: Path,
        bus: EventBus | None = None,
        now: Callable[[], datetime] = utc_now,
        audit: AuditSink | None = None,
    ) -> None:
        self._db = db
        self._audit = audit  # one summary entry per pass that deleted footage or fell short
        self._config = config
        self._root = Path(recordings_dir)
        self._root_resolved = self._root.resolve()
        self._bus = bus
        self._now = now
        self._quota = gib_to_bytes(config.quota_gb)
        self._keep_free = gib_to_bytes(config.keep_free_gb) or 0
        self._journal = PendingDeletes(self._root / JOURNAL_NAME)
        self._pass_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- public API -------------------------------------------------------------------------

    def run_once(self) -> RetentionReport:
        """Age pass per camera, then space pass (quota and free-space floor) across cameras."""
        started = self._now()
        tally = _Tally()
        with self._pass_lock:
            self._root.mkdir(parents=True, exist_ok=True)
            self._recover_journal(tally)
            self._expire_by_age(started, tally)
            space_ok = self._free_space(0, tally)
            report = self._report(started, tally, space_ok)
        self._announce(report)
        return report

    def make_room(self, bytes_needed: int) -> bool:
        """Delete oldest unlocked footage until ``bytes_needed`` fit above the free-space floor
        (and under the quota). Returns whether at least ``bytes_needed`` are now free: the
        recorder may then write into the floor's reserve even if locks keep the floor unmet."""
        tally = _Tally()
        with self._pass_lock:
            self._root.mkdir(parents=True, exist_ok=True)
            floor_ok = self._free_space(max(0, bytes_needed), tally)
            free = disk_usage(self._root).free
        if tally.deleted_for_space or not floor_ok:
            self._announce(self._report(self._now(), tally, floor_ok, free=free))
        return free >= bytes_needed

    def start(self) -> None:
        """Run a pass now and then every ``check_interval_seconds`` until ``stop``."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="wardeye-retention", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def recorded_bytes(self) -> int:
        """Bytes of all indexed segments (what the quota limits)."""
        with self._db.session() as s:
            return int(s.scalar(select(func.coalesce(func.sum(Segment.bytes), 0))) or 0)

    # -- passes -----------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                report = self.run_once()
                if report.deleted_segments or not report.space_ok:
                    log.info(
                        "retention: deleted %d segments (%d bytes), %d kept by locks, "
                        "%d bytes free",
                        report.deleted_segments,
                        report.deleted_bytes,
                        report.kept_locked,
                        report.free_bytes,
                    )
            except Exception:
                log.exception("retention pass failed; retrying at the next interval")
            self._stopping.wait(self._config.check_interval_seconds)

    def _expire_by_age(self, now: datetime, tally: _Tally) -> None:
        with self._db.session() as s:
            limits = age_limits(s, self._config.max_age_days)
        for camera_id, days in sorted(limits.items()):
            if days is None:
                continue
            cutoff = now - timedelta(days=days)
            expired = (  # stream and start only narrow it so the camera's index can be used
                Segment.camera_id == camera_id,
                Segment.stream.in_(STREAMS),
                Segment.start < cutoff,
                Segment.end < cutoff,
            )
            skip: set[int] = set()
            while rows := self._candidates(expired, skip, BATCH):
                deleted = self._delete(rows, tally, skip)
                tally.deleted_for_age += len(deleted)
            with self._db.session() as s:
                count, size = s.execute(
                    select(func.count(), func.coalesce(func.sum(Segment.bytes), 0)).where(
                        *expired, locked_clause()
                    )
                ).one()
            tally.kept_locked += int(count)
            tally.kept_locked_bytes += int(size)

    def _free_space(self, extra: int, tally: _Tally) -> bool:
        """Delete oldest unlocked segments until the quota and free floor (plus ``extra``) hold.
        Returns False when nothing deletable is left and they still don't."""
        recorded = self.recorded_bytes() if self._quota is not None else 0
        skip: set[int] = set()
        while True:
            deficit = self._deficit(recorded, extra)
            if deficit <= 0:
                return True
            rows = self._candidates((), skip, BATCH)
            if not rows:
                return False
            take, acc = [], 0
            for row in rows:
                take.append(row)
                acc += row.bytes
                if acc >= deficit:
                    break
            deleted = self._delete(take, tally, skip)
            tally.deleted_for_space += len(deleted)
            recorded -= sum(c.bytes for c in deleted)

    def _deficit(self, recorded: int, extra: int) -> int:
        over_quota = recorded + extra - self._quota if self._quota is not None else 0
        under_floor = self._keep_free + extra - disk_usage(self._root).free
        return max(over_quota, under_floor, 0)

    # -- the one place that deletes ---------------------------------------------------------

    def _candidates(
        self, where: Sequence[ColumnElement[bool]], skip: set[int], limit: int
    ) -> list[_Candidate]:
        """Oldest unlocked segments matching ``where`` (across cameras when empty)."""
        query = select(Segment.id, Segment.path, Segment.bytes).where(*where, ~locked_clause())
        if skip:
            query = query.where(Segment.id.not_in(skip))
        query = query.order_by(Segment.start, Segment.id).limit(limit)
        with self._db.session() as s:
            return [_Candidate(r.id, r.path, r.bytes) for r in s.execute(query)]

    def _delete(
        self, rows: Sequence[_Candidate], tally: _Tally, skip: set[int]
    ) -> list[_Candidate]:
        """Row first (re-checking locks inside the DELETE), then file. Returns what went."""
        safe: list[tuple[_Candidate, Path]] = []
        for row in rows:
            target = self._file_path(row.path)
            if target is None:
                skip.add(row.id)
                tally.errors.append(f"segment {row.id}: path {row.path!r} is outside recordings")
                continue
            safe.append((row, target))
        if not safe:
            return []
        self._journal.add(row.path for row, _ in safe)
        ids = [row.id for row, _ in safe]
        stmt = delete(Segment).where(Segment.id.in_(ids), ~locked_clause()).returning(Segment.id)
        with self._db.session() as s:
            gone = set(s.scalars(stmt))
        deleted, leftovers = [], []
        for row, target in safe:
            if row.id not in gone:
                skip.add(row.id)  # locked in the meantime, or already removed by someone else
                continue
            deleted.append(row)
            if not self._unlink(target, tally):
                leftovers.append(row.path)
        self._journal.replace(leftovers)
        tally.deleted_bytes += sum(c.bytes for c in deleted)
        return deleted

    def _unlink(self, target: Path, tally: _Tally) -> bool:
        try:
            target.unlink()
        except FileNotFoundError:
            tally.missing_files += 1
        except OSError as exc:
            tally.errors.append(f"could not delete {target.name}: {exc.strerror}")
            return False
        return True

    def _file_path(self, stored: str) -> Path | None:
        """Where a segment's file is; None if its path would escape the recordings folder."""
        path = Path(stored)
        if not path.is_absolute():
            path = self._root / path
        resolved = path.resolve()
        if not resolved.is_relative_to(self._root_resolved):
            return None
        return path

    def _recover_journal(self, tally: _Tally) -> None:
        """Finish deletions a crash interrupted: files journalled whose rows are already gone."""
        pending = self._journal.entries()
        if not pending:
            return
        with self._db.session() as s:
            still_indexed = set(s.scalars(select(Segment.path).where(Segment.path.in_(pending))))
        leftovers = []
        for stored in pending:
            target = self._file_path(stored)
            if stored in still_indexed or target is None:
                continue
            if not self._unlink(target, tally):
                leftovers.append(stored)
        self._journal.replace(leftovers)

    # -- reporting --------------------------------------------------------------------------

    def _report(
        self, started: datetime, tally: _Tally, space_ok: bool, free: int | None = None
    ) -> RetentionReport:
        with self._db.session() as s:
            recorded = int(s.scalar(select(func.coalesce(func.sum(Segment.bytes), 0))) or 0)
            locked_count, locked_bytes = locked_totals(s)
        return RetentionReport(
            started_at=started,
            deleted_segments=tally.deleted_for_age + tally.deleted_for_space,
            deleted_bytes=tally.deleted_bytes,
            deleted_for_age=tally.deleted_for_age,
            deleted_for_space=tally.deleted_for_space,
            kept_locked=tally.kept_locked,
            kept_locked_bytes=tally.kept_locked_bytes,
            locked_segments=int(locked_count),
            locked_bytes=int(locked_bytes),
            missing_files=tally.missing_files,
            recorded_bytes=recorded,
            free_bytes=disk_usage(self._root).free if free is None else free,
            space_ok=space_ok,
            errors=tuple(tally.errors),
        )

    def _audit_pass(self, report: RetentionReport) -> None:
        if self._audit is None or not (report.deleted_segments or not report.space_ok):
            return
        detail = {name: getattr(report, name) for name in AUDITED_FIELDS}
        try:
            self._audit.append(
                AuditRecord(
                    action=AuditAction.RETENTION_RUN,
                    result="ok" if report.space_ok and not report.errors else "failed",
                    username="retention",
                    detail={**detail, "errors": len(report.errors)},
                )
            )
        except Exception:  # the recorder's disk-full hook must not fail on the audit
            log.exception("retention: the audit entry of this pass was not written")

    def _announce(self, report: RetentionReport) -> None:
        self._audit_pass(report)
        for error in report.errors:
            log.warning("retention: %s", error)
        if not report.space_ok:
            log.error(
                "recordings disk below its floor: %d bytes free, %d bytes held by evidence locks",
                report.free_bytes,
                report.locked_bytes,
            )
        if self._bus is None:
            return
        if report.deleted_segments or not report.space_ok:
            self._bus.publish(
                RetentionCompleted(
                    deleted_segments=report.deleted_segments,
                    deleted_bytes=report.deleted_bytes,
                    kept_locked=report.kept_locked,
                    free_bytes=report.free_bytes,
                    space_ok=report.space_ok,
                )
            )
        if not report.space_ok:
            self._bus.publish(
                RecordingSpaceExhausted(
                    free_bytes=report.free_bytes,
                    wanted_free_bytes=self._keep_free,
                    locked_bytes=report.locked_bytes,
                )
            )
