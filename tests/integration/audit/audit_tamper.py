"""What an intruder with write access to the catalog could do to the audit tables.

Each function works on a connection from ``intruder``; on PostgreSQL it first switches the
append-only triggers off the way a superuser would (``session_replication_role``). The
forgeries recompute hashes with WardEye's own (public) algorithm: the attacker knows it, only
the site key is secret."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, text, update

from wardeye.audit.canonical import GENESIS_HASH
from wardeye.audit.verify import content_of_row
from wardeye.catalog.database import create_catalog_engine
from wardeye.catalog.models import AuditCheckpoint, AuditEntry, Base

ENTRIES: Table = Base.metadata.tables[AuditEntry.__tablename__]
CHECKPOINTS: Table = Base.metadata.tables[AuditCheckpoint.__tablename__]
CONTENT = [c.name for c in ENTRIES.columns if c.name != "seq"]


@contextmanager
def intruder(url: str) -> Iterator[Connection]:
    """A transaction with the audit triggers off (PostgreSQL superuser), committed at the end."""
    engine = create_catalog_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
    finally:
        engine.dispose()


def row(conn: Connection, seq: int) -> dict[str, Any]:
    found = conn.execute(select(ENTRIES).where(ENTRIES.c.seq == seq)).mappings().one()
    return dict(found)


def seqs(conn: Connection) -> list[int]:
    return list(conn.scalars(select(ENTRIES.c.seq).order_by(ENTRIES.c.seq)))


def digest_of(conn: Connection, seq: int) -> str:
    stored = conn.execute(select(ENTRIES).where(ENTRIES.c.seq == seq)).one()
    content = content_of_row(stored)
    assert content is not None
    return content.digest()


def rehash(conn: Connection, seq: int) -> None:
    """Give entry ``seq`` the hash its (changed) content now has."""
    conn.execute(update(ENTRIES).where(ENTRIES.c.seq == seq).values(hash=digest_of(conn, seq)))


def rechain(conn: Connection, first: int) -> None:
    """Re-link and re-hash every entry from ``first`` on, as a careful forger would."""
    previous = GENESIS_HASH
    for seq in seqs(conn):
        if seq >= first:
            conn.execute(update(ENTRIES).where(ENTRIES.c.seq == seq).values(prev_hash=previous))
            rehash(conn, seq)
        previous = row(conn, seq)["hash"]


def _move(conn: Connection, old: int, new: int) -> None:
    conn.execute(update(ENTRIES).where(ENTRIES.c.seq == old).values(seq=new))


def edit(conn: Connection, seq: int, fresh_hash: bool = False) -> None:
    before = row(conn, seq)
    conn.execute(
        update(ENTRIES)
        .where(ENTRIES.c.seq == seq)
        .values(reason=(before["reason"] or "") + " (edited)", username="someone else")
    )
    if fresh_hash:
        rehash(conn, seq)


def remove(conn: Connection, seq: int, renumber: bool = False) -> None:
    conn.execute(delete(ENTRIES).where(ENTRIES.c.seq == seq))
    if renumber:
        for later in [s for s in seqs(conn) if s > seq]:
            _move(conn, later, later - 1)


def slip_in(conn: Connection, seq: int, rechain_after: bool = False) -> None:
    """A forged entry at ``seq``, well linked to the one before it; later ones move up."""
    for later in sorted((s for s in seqs(conn) if s >= seq), reverse=True):
        _move(conn, later, later + 1)
    template = row(conn, seq + 1)
    previous = row(conn, seq - 1)["hash"] if seq > 1 else GENESIS_HASH
    forged = {**template, "seq": seq, "prev_hash": previous, "reason": "forged", "hash": "0"}
    conn.execute(insert(ENTRIES).values(forged))
    rehash(conn, seq)
    if rechain_after:
        rechain(conn, seq + 1)


def swap(conn: Connection, seq: int, fresh_hashes: bool = False) -> None:
    """Entries ``seq`` and ``seq + 1`` trade places (their content moves, seqs stay)."""
    first, second = row(conn, seq), row(conn, seq + 1)
    for target, source in ((seq, second), (seq + 1, first)):
        values = {name: source[name] for name in CONTENT}
        conn.execute(update(ENTRIES).where(ENTRIES.c.seq == target).values(values))
    if fresh_hashes:
        rehash(conn, seq)
        rehash(conn, seq + 1)


def cut_tail(conn: Connection, first: int, checkpoints_too: bool = True) -> None:
    conn.execute(delete(ENTRIES).where(ENTRIES.c.seq >= first))
    if checkpoints_too:
        conn.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.seq >= first))


def wipe(conn: Connection) -> None:
    conn.execute(delete(ENTRIES))
    conn.execute(delete(CHECKPOINTS))
