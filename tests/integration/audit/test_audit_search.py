"""Searching the audit and exporting it as CSV, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import AuditSite
from wardeye.audit.records import AuditAction, AuditRecord
from wardeye.audit.search import AuditQuery, AuditScope

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _log(site: AuditSite) -> None:
    """seq 1..12: users 1-3 in turn; cameras 10/20/none; case VV-1 on every fourth."""
    for n in range(12):
        site.log.append(
            AuditRecord(
                action=(AuditAction.PLAYBACK, AuditAction.LIVE_START, AuditAction.SIGN_IN)[n % 3],
                result="denied" if n == 5 else "ok",
                user_id=n % 3 + 1,
                username=("an.nguyen", "binh_tran", "=cmd|' /C calc'!A0")[n % 3],
                camera_id=(10, 20, None)[n % 3],
                case_ref="VV-1" if n % 4 == 0 else None,
                reason='kiểm tra, "trích xuất"\nlần 2' if n == 0 else None,
                at=T0 + timedelta(hours=n),
            )
        )


def _seqs(site: AuditSite, **filters: object) -> list[int]:
    page = site.log.search(AuditQuery(**filters))  # type: ignore[arg-type]
    return [e.seq for e in page.entries]


def test_filters(site: AuditSite) -> None:
    _log(site)
    assert _seqs(site) == list(range(12, 0, -1))
    assert _seqs(site, user_id=2) == [11, 8, 5, 2]
    assert _seqs(site, username="AN.NG") == [10, 7, 4, 1]  # any case (ASCII letters)
    assert _seqs(site, username="h_t") == [11, 8, 5, 2]
    assert _seqs(site, username="h%t") == []  # "%" and "_" are plain characters
    assert _seqs(site, camera_ids=frozenset({20})) == [11, 8, 5, 2]
    assert _seqs(site, camera_ids=frozenset()) == []
    assert _seqs(site, case_ref="VV-1") == [9, 5, 1]
    assert _seqs(site, actions=frozenset({AuditAction.SIGN_IN})) == [12, 9, 6, 3]
    assert _seqs(site, result="denied") == [6]
    window = {"since": T0 + timedelta(hours=3), "until": T0 + timedelta(hours=6)}
    assert _seqs(site, **window) == [6, 5, 4]
    assert _seqs(site, user_id=1, camera_ids=frozenset({10}), case_ref="VV-1") == [1]


def test_keyset_pages_do_not_shift_when_entries_arrive(site: AuditSite) -> None:
    _log(site)
    first = site.log.search(AuditQuery(limit=5))
    assert [e.seq for e in first.entries] == [12, 11, 10, 9, 8] and first.next_before_seq == 8
    site.log.append(AuditRecord(action=AuditAction.ACCESS, result="ok"))  # a newer one
    second = site.log.search(AuditQuery(limit=5, before_seq=first.next_before_seq))
    assert [e.seq for e in second.entries] == [7, 6, 5, 4, 3]
    last = site.log.search(AuditQuery(limit=5, before_seq=second.next_before_seq))
    assert [e.seq for e in last.entries] == [2, 1] and last.next_before_seq is None
    entry = last.entries[-1]
    assert entry.at == T0 and entry.username == "an.nguyen" and entry.camera_id == 10
    assert entry.detail == {} and len(entry.hash) == 64


def test_scope_of_a_reader_bound_to_areas(site: AuditSite) -> None:
    _log(site)
    scope = AuditScope(camera_ids=frozenset({10}), user_ids=frozenset({3}))
    # camera 10 (any user) and, without a camera, user 3's entries; never user 2's camera 20
    assert _seqs(site, scope=scope) == [12, 10, 9, 7, 6, 4, 3, 1]
    assert _seqs(site, scope=scope, camera_ids=frozenset({20})) == []
    nobody = AuditScope(camera_ids=frozenset(), user_ids=frozenset())
    assert _seqs(site, scope=nobody) == []


def test_csv_export(site: AuditSite) -> None:
    _log(site)
    chunks = list(site.log.export_csv(AuditQuery(), ZoneInfo("Asia/Ho_Chi_Minh")))
    text = "".join(chunks)
    assert text.startswith("\ufeffseq,at_utc,at_Asia/Ho_Chi_Minh,user_id,username")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [int(r["seq"]) for r in rows] == list(range(12, 0, -1))
    oldest = rows[-1]
    assert oldest["at_utc"] == "2026-12-01T00:00:00.000000Z"
    assert oldest["at_Asia/Ho_Chi_Minh"] == "01/12/2026 07:00:00"
    assert oldest["reason"] == 'kiểm tra, "trích xuất"\nlần 2'
    assert oldest["case_ref"] == "VV-1" and oldest["camera_id"] == "10"
    assert rows[0]["username"] == "'=cmd|' /C calc'!A0"  # kept as text, not run as a formula
    assert rows[0]["camera_id"] == "" and rows[0]["detail"] == "{}"
    filtered = "".join(site.log.export_csv(AuditQuery(user_id=2)))
    assert len(list(csv.reader(io.StringIO(filtered)))) == 1 + 4


def test_csv_export_streams_in_batches(site: AuditSite) -> None:
    for n in range(1203):
        site.log.append(AuditRecord(action=AuditAction.ACCESS, result="ok", detail={"n": n}))
    chunks = list(site.log.export_csv(AuditQuery(actions=frozenset({AuditAction.ACCESS}))))
    assert len(chunks) == 1 + 3  # header, then 500 + 500 + 203
    body = "".join(chunks[1:])
    assert body.count("\r\n") == 1203
