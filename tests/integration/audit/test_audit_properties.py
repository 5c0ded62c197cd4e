"""Property tests: any sequence of records verifies intact, and any single tampering with the
signed part of the log (up to the newest checkpoint) is found."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from audit_tamper import cut_tail, edit, intruder, remove, seqs, slip_in, swap, wipe
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from conftest import AuditSite
from wardeye.audit.log import AuditLog
from wardeye.audit.records import AuditAction, AuditRecord, DetailValue

text = st.text(max_size=40)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2199, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-9))]),
)  # fmt: skip
details: st.SearchStrategy[dict[str, DetailValue]] = st.dictionaries(
    text,
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | text,
    max_size=4,
)
records = st.builds(
    AuditRecord,
    action=st.sampled_from(AuditAction),
    result=st.sampled_from(["ok", "denied", "failed"]),
    user_id=st.none() | st.integers(1, 2**63 - 1),
    username=st.none() | text,
    role=st.none() | st.sampled_from(["admin", "officer", "owner"]),
    client_address=st.none() | text,
    camera_id=st.none() | st.integers(1, 2**63 - 1),
    object_type=st.none() | text,
    object_id=st.none() | text,
    start=st.none() | moments,
    end=st.none() | moments,
    case_ref=st.none() | text,
    reason=st.none() | text,
    detail=details,
    at=moments,
)

Tamper = Callable[[Connection, int], None]
TAMPERINGS: dict[str, tuple[Tamper, int]] = {  # name: (how, entries it needs after the target)
    "edit": (lambda c, s: edit(c, s), 0),
    "edit and rehash": (lambda c, s: edit(c, s, fresh_hash=True), 0),
    "delete": (lambda c, s: remove(c, s), 0),
    "delete and renumber": (lambda c, s: remove(c, s, renumber=True), 0),
    "insert": (lambda c, s: slip_in(c, s), 0),
    "insert and rechain": (lambda c, s: slip_in(c, s, rechain_after=True), 0),
    "swap": (lambda c, s: swap(c, s), 1),
    "swap and rehash": (lambda c, s: swap(c, s, fresh_hashes=True), 1),
    "truncate": (lambda c, s: cut_tail(c, s), 0),
    "truncate entries only": (lambda c, s: cut_tail(c, s, checkpoints_too=False), 0),
}


def _fresh(site: AuditSite, every: int) -> AuditLog:
    with intruder(site.url) as conn:
        wipe(conn)
    shutil.rmtree(site.data_dir / "audit", ignore_errors=True)
    return AuditLog(site.db, site.data_dir, checkpoint_every_entries=every)


def _check(site: AuditSite, batch: list[AuditRecord], data: st.DataObject) -> None:
    every = data.draw(st.integers(1, min(6, len(batch))), label="checkpoint every")
    log = _fresh(site, every)
    for record in batch:
        log.append(record)
    report = log.verify()
    assert report.intact, report.findings
    assert report.entries == len(batch)
    sealed = report.newest_checkpoint_seq
    if sealed is None:
        return
    name = data.draw(st.sampled_from(sorted(TAMPERINGS)), label="tampering")
    how, after = TAMPERINGS[name]
    if sealed + after > len(batch):
        sealed = len(batch) - after
    if sealed < 1:
        return
    target = data.draw(st.integers(1, sealed), label="target seq")
    event(name)
    with intruder(site.url) as conn:
        before = seqs(conn)
        how(conn, target)
    tampered = log.verify()
    assert not tampered.intact, (name, target, before)


SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])  # fmt: skip


@SETTINGS
@given(batch=st.lists(records, min_size=1, max_size=25), data=st.data())
def test_any_log_verifies_and_any_tampering_shows(
    site: AuditSite, batch: list[AuditRecord], data: st.DataObject
) -> None:
    _check(site, batch, data)
