"""The audit log: the one ``AuditSink`` that keeps records, hash-chained and signed.

Appending takes the catalog's write lock first (``BEGIN IMMEDIATE`` on SQLite, a
transaction-level advisory lock on PostgreSQL), then reads the tail and inserts, so threads
and processes (the web app, a separate recorder) appending at once still make one unbroken
chain. A record is committed before ``append`` returns."""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, insert, select, text

from wardeye.audit.canonical import GENESIS_HASH, EntryContent, content_of
from wardeye.audit.checkpoints import Checkpoint, CheckpointFile
from wardeye.audit.keys import load_or_create_site_key
from wardeye.audit.records import AuditRecord
from wardeye.audit.search import AuditPage, AuditQuery, export_csv, search
from wardeye.audit.verify import VerifyReport, verify_log
from wardeye.catalog.database import Database
from wardeye.catalog.models import AuditCheckpoint, AuditEntry, Base
from wardeye.core.clock import utc_now

log = logging.getLogger(__name__)

# Key of the PostgreSQL advisory lock that serialises appenders across processes.
APPEND_LOCK_KEY = zlib.crc32(b"wardeye.audit.append")

# Built once: a statement rebuilt per append costs more than the database work.
_TAIL = select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
_LAST_CHECKPOINT = (
    select(AuditCheckpoint.seq, AuditCheckpoint.at).order_by(AuditCheckpoint.seq.desc()).limit(1)
)
_INSERT_ENTRY = insert(Base.metadata.tables[AuditEntry.__tablename__])
_INSERT_CHECKPOINT = insert(Base.metadata.tables[AuditCheckpoint.__tablename__])


def entry_row(content: EntryContent, entry_hash: str) -> dict[str, object]:
    """The ``audit_entries`` row of an entry."""
    return {
        "seq": content.seq,
        "at": content.at,
        "user_id": content.user_id,
        "username": content.username,
        "role": content.role,
        "client_address": content.client_address,
        "action": content.action,
        "result": content.result,
        "camera_id": content.camera_id,
        "object_type": content.object_type,
        "object_id": content.object_id,
        "start": content.start,
        "end": content.end,
        "case_ref": content.case_ref,
        "reason": content.reason,
        "detail": content.detail_json(),
        "prev_hash": content.prev_hash,
        "hash": entry_hash,
    }


class AuditLog:
    """Hash-chained entries in ``audit_entries``; every ``checkpoint_every_entries`` entries or
    ``checkpoint_every_seconds`` (whichever comes first, checked on append) a checkpoint signed
    with the site key goes to ``audit_checkpoints`` and to ``data_dir/audit/checkpoints.jsonl``."""

    def __init__(
        self,
        db: Database,
        data_dir: Path,
        checkpoint_every_entries: int = 100,
        checkpoint_every_seconds: float = 300.0,
    ) -> None:
        if checkpoint_every_entries < 1:
            raise ValueError("checkpoint_every_entries must be at least 1")
        self._db = db
        self._data_dir = Path(data_dir)
        self._every_entries = checkpoint_every_entries
        self._every = timedelta(seconds=checkpoint_every_seconds)
        self._file = CheckpointFile(self._data_dir)
        self._lock = threading.Lock()  # threads queue here, not in the database's busy loop
        self._key: Ed25519PrivateKey | None = None
        self._started = utc_now()
        self._file_reconciled = False

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    @property
    def checkpoint_file(self) -> CheckpointFile:
        return self._file

    # -- writing ------------------------------------------------------------------------------

    def append(self, record: AuditRecord) -> None:
        """Add ``record`` as the next entry; committed when this returns."""
        with self._lock:
            with self._write_transaction() as conn:
                tail = conn.execute(_TAIL).first()
                seq, prev_hash = (tail.seq + 1, tail.hash) if tail else (1, GENESIS_HASH)
                content = content_of(record, seq, prev_hash)
                entry_hash = content.digest()
                conn.execute(_INSERT_ENTRY, entry_row(content, entry_hash))
                checkpoint = self._checkpoint_if_due(conn, seq, entry_hash)
                conn.commit()
            if checkpoint is not None:
                self._write_file(checkpoint)

    def checkpoint(self) -> Checkpoint | None:
        """Sign the newest entry now (at shutdown, say), unless it already is; returns it."""
        with self._lock:
            with self._write_transaction() as conn:
                tail = conn.execute(_TAIL).first()
                last = self._last_checkpoint(conn)
                if tail is None or (last is not None and last[0] >= tail.seq):
                    return None
                checkpoint = self._sign(conn, tail.seq, tail.hash)
                conn.commit()
            self._write_file(checkpoint)
            return checkpoint

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        """A connection holding the catalog-wide append lock until commit or rollback."""
        with self._db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
            yield conn

    def _last_checkpoint(self, conn: Connection) -> tuple[int, datetime] | None:
        row = conn.execute(_LAST_CHECKPOINT).first()
        return None if row is None else (row.seq, row.at)

    def _checkpoint_if_due(self, conn: Connection, seq: int, entry_hash: str) -> Checkpoint | None:
        last_seq, since = self._last_checkpoint(conn) or (0, self._started)
        if seq - last_seq < self._every_entries and utc_now() - since < self._every:
            return None
        return self._sign(conn, seq, entry_hash)

    def _sign(self, conn: Connection, seq: int, entry_hash: str) -> Checkpoint:
        if self._key is None:
            self._key = load_or_create_site_key(self._data_dir)
        checkpoint = Checkpoint.sign(self._key, seq, entry_hash, utc_now())
        conn.execute(
            _INSERT_CHECKPOINT,
            {"seq": checkpoint.seq, "hash": checkpoint.hash, "at": checkpoint.at,
             "signature": checkpoint.signature},
        )  # fmt: skip
        return checkpoint

    def _write_file(self, checkpoint: Checkpoint) -> None:
        """After the commit: a crash in between leaves the file one line short, which the
        first checkpoint of the next process fills in from the table."""
        pending = [checkpoint]
        if not self._file_reconciled:
            pending = self._missing_from_file(checkpoint)
            self._file_reconciled = True
        try:
            self._file.append(pending)
        except OSError:
            log.exception("could not write the audit checkpoint file %s", self._file.path)

    def _missing_from_file(self, newest: Checkpoint) -> list[Checkpoint]:
        in_file = self._file.read().by_seq()
        newest_in_file = max(in_file, default=0)
        with self._db.engine.connect() as conn:
            rows = conn.execute(
                select(AuditCheckpoint)
                .where(AuditCheckpoint.seq > newest_in_file, AuditCheckpoint.seq < newest.seq)
                .order_by(AuditCheckpoint.seq)
            ).all()
        missing = [Checkpoint(seq=r.seq, hash=r.hash, at=r.at, signature=r.signature) for r in rows]
        return [*missing, newest]

    # -- reading ------------------------------------------------------------------------------

    def verify(self, public_key: Ed25519PublicKey | None = None) -> VerifyReport:
        """Check the whole chain, every checkpoint's signature and the checkpoint file. The
        public key defaults to ``data_dir/site_key.pub``; a third party passes their copy."""
        return verify_log(self._db, self._data_dir, public_key)

    def search(self, query: AuditQuery) -> AuditPage:
        """Entries matching ``query``, newest first, one page (see ``audit.search``)."""
        return search(self._db, query)

    def export_csv(self, query: AuditQuery, zone: ZoneInfo | None = None) -> Iterator[str]:
        """Every entry matching ``query`` as streamed CSV text (UTF-8 BOM first)."""
        return export_csv(self._db, query, zone)
