"""Reading the audit: filtered, newest first, paged by seq (keyset: a page never shifts when
entries are appended meanwhile), and the same filters as a streamed CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, or_, select

from wardeye.audit.canonical import iso_utc
from wardeye.audit.records import AuditAction, AuditResult, DetailValue
from wardeye.catalog.database import Database
from wardeye.catalog.models import AuditEntry

MAX_PAGE = 500
EXPORT_BATCH = MAX_PAGE
CSV_BOM = "\ufeff"  # so Excel reads the file as UTF-8 (Vietnamese names)
# A cell starting with one of these is run as a formula by spreadsheets: a username such as
# "=HYPERLINK(…)" must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditScope:
    """What a reader bound to areas may see: entries about their cameras, and entries about
    no camera made by users inside their areas."""

    camera_ids: frozenset[int]
    user_ids: frozenset[int]


@dataclass(frozen=True)
class AuditQuery:
    """Filters (all optional, combined with AND), the page, and the reader's scope."""

    user_id: int | None = None
    username: str | None = None  # part of the name, any case
    camera_ids: frozenset[int] | None = None
    case_ref: str | None = None
    actions: frozenset[AuditAction] | None = None
    result: AuditResult | None = None
    since: datetime | None = None  # at >= since
    until: datetime | None = None  # at < until
    before_seq: int | None = None  # the cursor: entries older than this one
    limit: int = 100
    scope: AuditScope | None = None  # None: everything (an unbound reader)


class AuditEntryView(BaseModel):
    """One entry as the API and the page show it."""

    seq: int
    at: datetime
    user_id: int | None
    username: str | None
    role: str | None
    client_address: str | None
    action: str
    result: str
    camera_id: int | None
    object_type: str | None
    object_id: str | None
    start: datetime | None
    end: datetime | None
    case_ref: str | None
    reason: str | None
    detail: dict[str, DetailValue]
    hash: str


class AuditPage(BaseModel):
    entries: list[AuditEntryView]
    next_before_seq: int | None  # pass as ``before_seq`` for the next (older) page


def _view(row: AuditEntry) -> AuditEntryView:
    try:
        detail = json.loads(row.detail)
    except ValueError:
        detail = {"unreadable": row.detail}
    if not isinstance(detail, dict):
        detail = {"unreadable": row.detail}
    return AuditEntryView(
        seq=row.seq, at=row.at, user_id=row.user_id, username=row.username, role=row.role,
        client_address=row.client_address, action=row.action, result=row.result,
        camera_id=row.camera_id, object_type=row.object_type, object_id=row.object_id,
        start=row.start, end=row.end, case_ref=row.case_ref, reason=row.reason,
        detail={str(k): v if isinstance(v, str | int | float | bool | None) else str(v)
                for k, v in detail.items()},
        hash=row.hash,
    )  # fmt: skip


def _conditions(query: AuditQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.user_id is not None:
        where.append(AuditEntry.user_id == query.user_id)
    if query.username:
        where.append(AuditEntry.username.icontains(query.username, autoescape=True))
    if query.camera_ids is not None:
        where.append(AuditEntry.camera_id.in_(sorted(query.camera_ids)))
    if query.case_ref:
        where.append(AuditEntry.case_ref == query.case_ref)
    if query.actions is not None:
        where.append(AuditEntry.action.in_(sorted(a.value for a in query.actions)))
    if query.result is not None:
        where.append(AuditEntry.result == query.result)
    if query.since is not None:
        where.append(AuditEntry.at >= query.since)
    if query.until is not None:
        where.append(AuditEntry.at < query.until)
    if query.before_seq is not None:
        where.append(AuditEntry.seq < query.before_seq)
    if query.scope is not None:
        scope = query.scope
        where.append(
            or_(
                AuditEntry.camera_id.in_(sorted(scope.camera_ids)),
                and_(
                    AuditEntry.camera_id.is_(None), AuditEntry.user_id.in_(sorted(scope.user_ids))
                ),
            )
        )
    return where


def search(db: Database, query: AuditQuery) -> AuditPage:
    """One page, newest first; ``next_before_seq`` is None on the last page."""
    limit = max(1, min(query.limit, MAX_PAGE))
    statement = (
        select(AuditEntry)
        .where(*_conditions(query))
        .order_by(AuditEntry.seq.desc())
        .limit(limit + 1)
    )
    with db.session() as session:
        rows = list(session.scalars(statement))
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(
        entries=[_view(r) for r in rows], next_before_seq=rows[-1].seq if more and rows else None
    )


CSV_COLUMNS = (
    "seq", "at_utc", "user_id", "username", "role", "client_address", "action", "result",
    "camera_id", "object_type", "object_id", "start_utc", "end_utc", "case_ref", "reason",
    "detail", "hash",
)  # fmt: skip


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso_utc(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_row(entry: AuditEntryView, zone: ZoneInfo | None) -> list[str]:
    cells = [
        _cell(v)
        for v in (
            entry.seq, entry.at, entry.user_id, entry.username, entry.role,
            entry.client_address, entry.action, entry.result, entry.camera_id,
            entry.object_type, entry.object_id, entry.start, entry.end, entry.case_ref,
            entry.reason, json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
            entry.hash,
        )
    ]  # fmt: skip
    if zone is not None:
        cells.insert(2, entry.at.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S"))
    return cells


def export_csv(db: Database, query: AuditQuery, zone: ZoneInfo | None = None) -> Iterator[str]:
    """Every matching entry, newest first, as CSV text chunks (BOM first). Read in batches,
    so a large export never holds the whole log in memory. With ``zone``, a third column
    gives the time in that zone as dd/mm/yyyy HH:MM:SS."""
    header = list(CSV_COLUMNS)
    if zone is not None:
        header.insert(2, f"at_{zone.key}")
    yield CSV_BOM + _lines([header])
    cursor = replace(query, limit=EXPORT_BATCH)
    while True:
        page = search(db, cursor)
        if page.entries:
            yield _lines([_csv_row(e, zone) for e in page.entries])
        if page.next_before_seq is None:
            return
        cursor = replace(cursor, before_seq=page.next_before_seq)


def _lines(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()
