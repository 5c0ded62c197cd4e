"""Verification: re-walk the chain and check every checkpoint, reporting what was changed.

What each kind of tampering looks like:
- an entry's content edited: its hash no longer matches (``edited``);
- entries deleted: a gap in ``seq`` (``missing``); deleted and the rest renumbered: the next
  entry links to a hash nobody has (``broken_link``) and the renumbered ones are ``edited``;
- an entry slipped in: the entry after it links past it (``inserted``);
- entries swapped: an entry links to one elsewhere in the log (``reordered``);
- the newest entries cut off: a signed checkpoint (file or table) names a seq past the tail
  (``truncated``);
- history rewritten with fresh hashes: the signed checkpoints no longer match
  (``checkpoint_mismatch``), and a forger without the site key cannot sign new ones
  (``bad_signature``); the table and the file must also agree (``checkpoint_disagreement``).
Entries after the newest checkpoint are not covered by a signature (``unsealed_entries``): cut
from the tail, they would not show. The checkpoint interval bounds that window."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select

from wardeye.audit.canonical import GENESIS_HASH, EntryContent, canonical_json
from wardeye.audit.checkpoints import Checkpoint, CheckpointFile, FileContents
from wardeye.audit.keys import PUBLIC_NAME, SiteKeyError, load_public_key
from wardeye.catalog.database import Database
from wardeye.catalog.models import AuditCheckpoint, AuditEntry

BATCH = 2000
MAX_FINDINGS = 1000  # kept in the report; ``counts`` has them all
MAX_LOOKUPS = 1000  # hash look-ups to tell a reordered entry from a vanished one


class Problem(StrEnum):
    EDITED = "edited"
    MISSING = "missing"
    INSERTED = "inserted"
    REORDERED = "reordered"
    BROKEN_LINK = "broken_link"
    TRUNCATED = "truncated"
    BAD_SIGNATURE = "bad_signature"
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"
    CHECKPOINT_DISAGREEMENT = "checkpoint_disagreement"
    NO_PUBLIC_KEY = "no_public_key"


@dataclass(frozen=True)
class Finding:
    problem: Problem
    seq: int | None  # the entry or checkpoint it is about (first of a range)
    message: str
    until_seq: int | None = None  # last of a range (missing or truncated entries)


@dataclass(frozen=True)
class VerifyReport:
    entries: int  # entries read
    first_seq: int | None
    last_seq: int | None
    checkpoints_in_table: int
    checkpoints_in_file: int
    newest_checkpoint_seq: int | None  # newest checkpoint with a good signature
    unsealed_entries: int  # entries after it: not yet covered by any signature
    findings: tuple[Finding, ...]
    counts: Mapping[Problem, int] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return not self.counts

    def of(self, problem: Problem) -> list[Finding]:
        return [f for f in self.findings if f.problem == problem]


class _Findings:
    def __init__(self) -> None:
        self.kept: list[Finding] = []
        self.counts: Counter[Problem] = Counter()

    def add(
        self, problem: Problem, seq: int | None, message: str, until: int | None = None
    ) -> None:
        self.counts[problem] += 1
        if len(self.kept) < MAX_FINDINGS:
            self.kept.append(Finding(problem, seq, message, until))


@dataclass
class _Row:
    seq: int
    prev_hash: str
    hash: str


def content_of_row(row: Any) -> EntryContent | None:
    """What was hashed for a stored row; None when ``detail`` is not canonical JSON (an edit)."""
    try:
        detail = json.loads(row.detail)
    except (TypeError, ValueError):
        return None
    if not isinstance(detail, dict):
        return None
    content = EntryContent(
        seq=row.seq, prev_hash=row.prev_hash, at=row.at, action=row.action, result=row.result,
        user_id=row.user_id, username=row.username, role=row.role,
        client_address=row.client_address, camera_id=row.camera_id,
        object_type=row.object_type, object_id=row.object_id, start=row.start, end=row.end,
        case_ref=row.case_ref, reason=row.reason, detail=detail,
    )  # fmt: skip
    try:
        if canonical_json(detail) != row.detail:
            return None
    except ValueError:
        return None
    return content


@contextmanager
def _snapshot(db: Database) -> Iterator[Connection]:
    """One consistent view of both tables while appenders go on."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # the first read fixes the snapshot (WAL)
        elif conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            yield conn
        finally:
            conn.rollback()


class _ChainWalk:
    """Walks entries in seq order, keeping the two before the current one."""

    def __init__(self, conn: Connection, findings: _Findings, wanted: set[int]) -> None:
        self.conn = conn
        self.findings = findings
        self.wanted = wanted  # seqs named by checkpoints: their hashes are kept
        self.hashes: dict[int, str] = {}
        self.entries = 0
        self.first_seq: int | None = None
        self.last_seq: int | None = None
        self._prev: _Row | None = None
        self._prev2: _Row | None = None
        self._lookups = 0

    def run(self) -> None:
        after = 0
        table = AuditEntry.__table__
        while True:
            rows = self.conn.execute(
                select(table).where(table.c.seq > after).order_by(table.c.seq).limit(BATCH)
            ).all()
            for row in rows:
                self._check(row)
            if len(rows) < BATCH:
                return
            after = rows[-1].seq

    def _check(self, row: Any) -> None:
        add = self.findings.add
        self.entries += 1
        if self.first_seq is None:
            self.first_seq = row.seq
        self.last_seq = row.seq
        if row.seq in self.wanted:
            self.hashes[row.seq] = row.hash
        content = content_of_row(row)
        if content is None or content.digest() != row.hash:
            add(Problem.EDITED, row.seq, f"entry {row.seq} was changed: its hash does not match")
        current = _Row(row.seq, row.prev_hash, row.hash)
        prev = self._prev
        expected = prev.seq + 1 if prev else 1
        if row.seq > expected:
            add(Problem.MISSING, expected,
                _range_text("entry", expected, row.seq - 1) + " missing (deleted)",
                row.seq - 1)  # fmt: skip
        elif prev is None:
            if row.prev_hash != GENESIS_HASH:
                add(Problem.BROKEN_LINK, row.seq, "the first entry does not start the chain")
        elif row.prev_hash != prev.hash:
            self._broken_link(current, prev)
        self._prev2, self._prev = prev, current

    def _broken_link(self, current: _Row, prev: _Row) -> None:
        """``current`` does not follow ``prev``: work out what happened between them."""
        add = self.findings.add
        prev2 = self._prev2
        # The chain going around ``prev``: slipped in if no entry follows it, else moved.
        if (
            prev2 is not None
            and prev2.seq == prev.seq - 1
            and current.prev_hash == prev2.hash
            and not self._followed(prev.hash)
        ):
            message = f"entry {prev.seq} was inserted: entry {current.seq} follows {prev2.seq}"
            add(Problem.INSERTED, prev.seq, message)
            return
        followed = self._seq_of(current.prev_hash)
        if followed is not None:
            message = f"entry {current.seq} was moved: it follows {followed}, not {prev.seq}"
            add(Problem.REORDERED, current.seq, message)
            return
        add(Problem.BROKEN_LINK, current.seq,
            f"entry {current.seq} does not follow entry {prev.seq}: the entry it followed is "
            "gone (deleted, or rewritten)")  # fmt: skip

    def _lookup(self) -> bool:
        """Look-ups are indexed but bounded, so a wholesale rewrite still verifies quickly."""
        self._lookups += 1
        return self._lookups <= MAX_LOOKUPS

    def _seq_of(self, entry_hash: str) -> int | None:
        if not self._lookup():
            return None
        found: int | None = self.conn.execute(
            select(AuditEntry.seq).where(AuditEntry.hash == entry_hash).limit(1)
        ).scalar()
        return found

    def _followed(self, entry_hash: str) -> bool:
        if not self._lookup():
            return True
        found = self.conn.execute(
            select(AuditEntry.seq).where(AuditEntry.prev_hash == entry_hash).limit(1)
        ).scalar()
        return found is not None


def _range_text(noun: str, first: int, last: int) -> str:
    return f"{noun} {first} is" if first == last else f"{noun}s {first}-{last} are"


def _public_key(data_dir: Path, given: Ed25519PublicKey | None) -> Ed25519PublicKey | str:
    if given is not None:
        return given
    try:
        return load_public_key(data_dir / PUBLIC_NAME)
    except FileNotFoundError:
        return f"{data_dir / PUBLIC_NAME} is missing"
    except SiteKeyError as exc:
        return str(exc)


def verify_log(
    db: Database, data_dir: Path, public_key: Ed25519PublicKey | None = None
) -> VerifyReport:
    """See the module docstring. Reads the checkpoint file before and after the catalog, so
    appenders running meanwhile are not taken for tampering."""
    checkpoint_file = CheckpointFile(data_dir)
    before = checkpoint_file.read()
    findings = _Findings()
    with _snapshot(db) as conn:
        table = [
            Checkpoint(seq=r.seq, hash=r.hash, at=r.at, signature=r.signature)
            for r in conn.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)).all()
        ]
        walk = _ChainWalk(conn, findings, {c.seq for c in table} | set(before.by_seq()))
        walk.run()
    after = checkpoint_file.read()
    newest_in_table = max((c.seq for c in table), default=0)
    if newest_in_table > max(after.by_seq(), default=0):
        time.sleep(0.5)  # an appender may be between its commit and its line in the file
        after = checkpoint_file.read()
    newest = _check_checkpoints(findings, walk, table, before, data_dir, public_key)
    _compare_sources(findings, table, before, after)
    tail = walk.last_seq or 0
    return VerifyReport(
        entries=walk.entries,
        first_seq=walk.first_seq,
        last_seq=walk.last_seq,
        checkpoints_in_table=len(table),
        checkpoints_in_file=len(after.checkpoints),
        newest_checkpoint_seq=newest,
        unsealed_entries=max(0, tail - (newest or 0)),
        findings=tuple(findings.kept),
        counts=dict(findings.counts),
    )


def _check_checkpoints(
    findings: _Findings,
    walk: _ChainWalk,
    table: list[Checkpoint],
    in_file: FileContents,
    data_dir: Path,
    given_key: Ed25519PublicKey | None,
) -> int | None:
    """Signatures, and each checkpoint against the entry it names; returns the newest good
    checkpoint's seq."""
    every = sorted(set(table) | set(in_file.checkpoints), key=lambda c: c.seq)
    if not every:
        return None
    key = _public_key(data_dir, given_key)
    trusted: list[Checkpoint] = []
    if isinstance(key, str):
        findings.add(Problem.NO_PUBLIC_KEY, None, f"checkpoint signatures not checked: {key}")
        trusted = every
    else:
        for checkpoint in every:
            if checkpoint.signed_by(key):
                trusted.append(checkpoint)
            else:
                message = f"checkpoint {checkpoint.seq} is not signed by the site key"
                findings.add(Problem.BAD_SIGNATURE, checkpoint.seq, message)
    tail = walk.last_seq or 0
    for checkpoint in trusted:
        stored = walk.hashes.get(checkpoint.seq)
        if checkpoint.seq <= tail and stored is not None and stored != checkpoint.hash:
            findings.add(Problem.CHECKPOINT_MISMATCH, checkpoint.seq,
                         f"entry {checkpoint.seq} is not the entry checkpoint {checkpoint.seq} "
                         "signed: history was rewritten")  # fmt: skip
    newest = max((c.seq for c in trusted), default=None)
    if newest is not None and newest > tail:
        findings.add(Problem.TRUNCATED, tail + 1,
                     f"a signed checkpoint names entry {newest} but the log ends at {tail}: "
                     + _range_text("entry", tail + 1, newest) + " cut off", newest)  # fmt: skip
    return newest


def _compare_sources(
    findings: _Findings, table: list[Checkpoint], before: FileContents, after: FileContents
) -> None:
    """The file and the table must hold the same checkpoints."""
    add = findings.add
    for line in after.bad_lines:
        add(Problem.CHECKPOINT_DISAGREEMENT, None, f"line {line} of the checkpoint file is not "
            "a checkpoint")  # fmt: skip
    rows = {c.seq: c for c in table}
    if table and not after.exists:
        message = f"the checkpoint file is missing but the catalog has {len(table)} checkpoints"
        add(Problem.CHECKPOINT_DISAGREEMENT, None, message)
        return
    later = after.by_seq()
    for seq, row in rows.items():
        kept = later.get(seq)
        if kept is None:
            add(Problem.CHECKPOINT_DISAGREEMENT, seq,
                f"checkpoint {seq} is in the catalog but not in the checkpoint file")  # fmt: skip
        elif kept != row:
            message = f"checkpoint {seq} differs between the catalog and the checkpoint file"
            add(Problem.CHECKPOINT_DISAGREEMENT, seq, message)
    for seq in before.by_seq():
        if seq not in rows:
            add(Problem.CHECKPOINT_DISAGREEMENT, seq,
                f"checkpoint {seq} is in the checkpoint file but not in the catalog")  # fmt: skip
