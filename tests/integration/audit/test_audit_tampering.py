"""Every kind of tampering with the audit trail is found by verify, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import stat
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from audit_tamper import cut_tail, edit, intruder, rechain, remove, slip_in, swap
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text, update

from conftest import AuditSite
from wardeye.audit.checkpoints import Checkpoint
from wardeye.audit.keys import PRIVATE_NAME, PUBLIC_NAME, load_public_key
from wardeye.audit.records import AuditAction, AuditRecord
from wardeye.audit.verify import Problem, VerifyReport
from wardeye.catalog.models import AuditCheckpoint, AuditEntry


def problems(report: VerifyReport) -> set[Problem]:
    return set(report.counts)


def seqs_of(report: VerifyReport, problem: Problem) -> list[int | None]:
    return [f.seq for f in report.of(problem)]


def test_an_untouched_log_verifies(site: AuditSite) -> None:
    site.fill(20)
    report = site.log.verify()
    assert report.intact, report.findings
    assert (report.entries, report.first_seq, report.last_seq) == (20, 1, 20)
    assert report.checkpoints_in_table == report.checkpoints_in_file == 4
    assert (report.newest_checkpoint_seq, report.unsealed_entries) == (20, 0)


def test_hostile_and_odd_content_round_trips(site: AuditSite) -> None:
    """What the catalog gives back must hash the same as what was appended."""
    odd = [
        AuditRecord(action=AuditAction.SIGN_IN, result="failed", username="a\x00b\ud800" * 3000,
                    client_address="::1", reason="NFD Nguyễn " + "x" * 9000,
                    detail={"nan": float("nan"), "big": 2**70, "t": True, "none": None,
                            "s": "<!--<script>", "f": 0.1}),
        AuditRecord(action=AuditAction.PLAYBACK, result="ok", camera_id=2**63 - 1,
                    start=datetime(2026, 1, 1, 7, tzinfo=timezone(timedelta(hours=7))),
                    end=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
                    at=datetime(2026, 12, 2, 1, 2, 3, 999999, tzinfo=UTC)),
    ]  # fmt: skip
    for record in odd:
        site.log.append(record)
    assert site.log.verify().intact
    with site.db.session() as session:
        first, second = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert first.username is not None and "\x00" not in first.username
    assert len(first.username) == 2000
    assert json.loads(first.detail)["nan"] == "nan"
    assert second.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert second.end is None and "end_unrepresentable" in json.loads(second.detail)


def test_edited_entry(site: AuditSite) -> None:
    site.fill(20)
    with intruder(site.url) as conn:
        edit(conn, 7)
    report = site.log.verify()
    assert problems(report) == {Problem.EDITED}
    assert seqs_of(report, Problem.EDITED) == [7]


def test_edited_entry_with_a_fresh_hash(site: AuditSite) -> None:
    site.fill(20)
    with intruder(site.url) as conn:
        edit(conn, 7, fresh_hash=True)
        edit(conn, 10, fresh_hash=True)
    report = site.log.verify()
    assert problems(report) == {Problem.BROKEN_LINK, Problem.CHECKPOINT_MISMATCH}
    assert seqs_of(report, Problem.BROKEN_LINK) == [8, 11]
    assert seqs_of(report, Problem.CHECKPOINT_MISMATCH) == [10]


def test_deleted_entries(site: AuditSite) -> None:
    site.fill(20)
    with intruder(site.url) as conn:
        remove(conn, 7)
        remove(conn, 8)
        remove(conn, 1)
    report = site.log.verify()
    assert problems(report) == {Problem.MISSING}
    assert [(f.seq, f.until_seq) for f in report.of(Problem.MISSING)] == [(1, 1), (7, 8)]


def test_deleted_entry_with_the_rest_renumbered(site: AuditSite) -> None:
    site.fill(20)
    with intruder(site.url) as conn:
        remove(conn, 7, renumber=True)
    report = site.log.verify()
    assert seqs_of(report, Problem.BROKEN_LINK) == [7]
    assert seqs_of(report, Problem.EDITED) == list(range(7, 20))
    assert seqs_of(report, Problem.TRUNCATED) == [20]  # checkpoint 20 is past the new tail


def test_inserted_entry(site: AuditSite) -> None:
    site.fill(20)
    with intruder(site.url) as conn:
        slip_in(conn, 7)
    report = site.log.verify()
    assert seqs_of(report, Problem.INSERTED) == [7]
    assert seqs_of(report, Problem.EDITED) == list(range(8, 22))  # moved up: seq is hashed
    assert Problem.REORDERED not in report.counts


def test_inserted_entry_with_the_chain_rebuilt(site: AuditSite) -> None:
    """A forger who re-links and re-hashes everything after the insertion: only the signed
    checkpoints still tell the truth."""
    site.fill(20)
    with intruder(site.url) as conn:
        slip_in(conn, 7, rechain_after=True)
    report = site.log.verify()
    assert problems(report) == {Problem.CHECKPOINT_MISMATCH}
    assert seqs_of(report, Problem.CHECKPOINT_MISMATCH) == [10, 15, 20]


def test_reordered_entries(site: AuditSite) -> None:
    site.fill(20)
    with intruder(site.url) as conn:
        swap(conn, 7)
    report = site.log.verify()
    assert seqs_of(report, Problem.EDITED) == [7, 8]
    assert seqs_of(report, Problem.REORDERED) == [7, 8, 9]
    assert Problem.INSERTED not in report.counts


def test_reordered_entries_with_fresh_hashes(site: AuditSite) -> None:
    site.fill(20)
    with intruder(site.url) as conn:
        swap(conn, 7, fresh_hashes=True)
    report = site.log.verify()
    # With both hashes recomputed the originals are gone, so the swap cannot be told from a
    # rewrite: it shows as broken links around 7 and 8 (and 7 as slipped in).
    assert problems(report) <= {Problem.REORDERED, Problem.BROKEN_LINK, Problem.INSERTED}
    assert {f.seq for f in report.findings} == {7, 9}


def test_truncated_tail_and_its_checkpoints(site: AuditSite) -> None:
    site.fill(20)
    with intruder(site.url) as conn:
        cut_tail(conn, 13)
    report = site.log.verify()
    [cut] = report.of(Problem.TRUNCATED)
    assert (cut.seq, cut.until_seq) == (13, 20)
    assert seqs_of(report, Problem.CHECKPOINT_DISAGREEMENT) == [15, 20]  # only in the file


def test_truncated_tail_checkpoint_rows_kept(site: AuditSite) -> None:
    site.fill(20)
    with intruder(site.url) as conn:
        cut_tail(conn, 13, checkpoints_too=False)
    report = site.log.verify()
    assert problems(report) == {Problem.TRUNCATED}


def test_everything_deleted(site: AuditSite) -> None:
    site.fill(12)
    with intruder(site.url) as conn:
        cut_tail(conn, 1)
    report = site.log.verify()
    assert report.entries == 0
    assert [(f.seq, f.until_seq) for f in report.of(Problem.TRUNCATED)] == [(1, 10)]


def test_the_unsealed_tail_is_the_known_blind_spot(site: AuditSite) -> None:
    """Entries after the newest checkpoint are covered by no signature: cutting them does not
    show. The report says how many there are; the checkpoint interval bounds them."""
    site.fill(23)
    assert site.log.verify().unsealed_entries == 3
    with intruder(site.url) as conn:
        cut_tail(conn, 22)
    report = site.log.verify()
    assert report.intact and report.unsealed_entries == 1


def test_rewritten_history_resigned_with_another_key(site: AuditSite) -> None:
    """An intruder who rebuilds the whole chain and signs new checkpoints with a key of their
    own, in the table and the file, and even replaces site_key.pub: a verifier holding the
    site's real public key still sees it."""
    site.fill(10)
    pinned = load_public_key(site.data_dir / PUBLIC_NAME)
    forger = Ed25519PrivateKey.generate()
    with intruder(site.url) as conn:
        edit(conn, 3)
        rechain(conn, 3)
        forged = []
        for seq in (5, 10):
            entry_hash = conn.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
            assert entry_hash is not None
            checkpoint = Checkpoint.sign(forger, seq, entry_hash, datetime.now(UTC))
            forged.append(checkpoint)
            conn.execute(
                update(AuditCheckpoint)
                .where(AuditCheckpoint.seq == seq)
                .values(hash=checkpoint.hash, at=checkpoint.at, signature=checkpoint.signature)
            )
    site.log.checkpoint_file.path.write_text("".join(c.line() + "\n" for c in forged))
    from cryptography.hazmat.primitives import serialization

    (site.data_dir / PUBLIC_NAME).write_bytes(
        forger.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert site.log.verify().intact  # fooled: the key beside the data was swapped too
    report = site.log.verify(public_key=pinned)
    assert seqs_of(report, Problem.BAD_SIGNATURE) == [5, 10]


def test_checkpoint_file_trimmed_or_damaged(site: AuditSite) -> None:
    site.fill(20)
    path = site.log.checkpoint_file.path
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2]) + "\nnot json\n")
    report = site.log.verify()
    assert problems(report) == {Problem.CHECKPOINT_DISAGREEMENT}
    assert seqs_of(report, Problem.CHECKPOINT_DISAGREEMENT) == [None, 15, 20]
    path.unlink()
    report = site.log.verify()
    assert problems(report) == {Problem.CHECKPOINT_DISAGREEMENT}
    assert "missing" in report.findings[0].message


def test_forged_checkpoint_signature(site: AuditSite) -> None:
    site.fill(10)
    with intruder(site.url) as conn:
        conn.execute(update(AuditCheckpoint).where(AuditCheckpoint.seq == 5)
                     .values(signature="00" * 64))  # fmt: skip
    report = site.log.verify()
    assert seqs_of(report, Problem.BAD_SIGNATURE) == [5]
    assert seqs_of(report, Problem.CHECKPOINT_DISAGREEMENT) == [5]


def test_missing_public_key_is_reported(site: AuditSite) -> None:
    site.fill(5)
    (site.data_dir / PUBLIC_NAME).unlink()
    assert problems(site.log.verify()) == {Problem.NO_PUBLIC_KEY}


def test_time_based_and_explicit_checkpoints(site: AuditSite) -> None:
    log = site.reopen(every_entries=1000, every_seconds=1.0)
    log.append(AuditRecord(action=AuditAction.ACCESS, result="ok"))
    assert log.verify().newest_checkpoint_seq is None
    time.sleep(1.1)
    log.append(AuditRecord(action=AuditAction.ACCESS, result="ok"))
    assert log.verify().newest_checkpoint_seq == 2
    log.append(AuditRecord(action=AuditAction.ACCESS, result="ok"))
    assert log.checkpoint() is not None and log.checkpoint() is None
    report = log.verify()
    assert report.intact and report.newest_checkpoint_seq == 3


def test_a_checkpoint_lost_in_a_crash_is_restored_from_the_table(site: AuditSite) -> None:
    """A crash between the commit and the file write leaves the file a line short; the next
    process's first checkpoint fills it in."""
    site.fill(10)
    path = site.log.checkpoint_file.path
    path.write_text(path.read_text().splitlines()[0] + "\n")
    assert seqs_of(site.log.verify(), Problem.CHECKPOINT_DISAGREEMENT) == [10]
    AuditSite(site.url, site.db, site.data_dir, site.reopen()).fill(5)
    assert site.log.verify().intact


def test_key_and_file_are_private(site: AuditSite) -> None:
    os.chmod(site.data_dir.parent, 0o755)
    site.data_dir.mkdir(mode=0o755)
    os.chmod(site.data_dir, 0o755)
    site.fill(5)

    def mode(path: Path) -> int:
        return stat.S_IMODE(os.stat(path).st_mode)

    assert mode(site.data_dir) == 0o700
    assert mode(site.data_dir / PRIVATE_NAME) == 0o600
    assert mode(site.log.checkpoint_file.path) == 0o600
    assert mode(site.log.checkpoint_file.directory) == 0o700
    load_public_key(site.data_dir / PUBLIC_NAME)


@pytest.mark.postgres
@pytest.mark.parametrize("catalog_url", ["postgres"], indirect=True)
def test_postgres_refuses_changes_even_to_its_superuser(site: AuditSite) -> None:
    site.fill(5)
    statements = [
        "UPDATE audit_entries SET reason = 'x' WHERE seq = 2",
        "DELETE FROM audit_entries WHERE seq = 5",
        "TRUNCATE audit_entries",
        "UPDATE audit_checkpoints SET hash = 'x'",
        "DELETE FROM audit_checkpoints",
        "TRUNCATE audit_checkpoints",
    ]
    for sql in statements:
        with pytest.raises(Exception, match="append-only"), site.db.engine.begin() as conn:
            conn.execute(text(sql))
    assert site.log.verify().intact


@pytest.mark.postgres
@pytest.mark.parametrize("catalog_url", ["postgres"], indirect=True)
def test_postgres_superuser_disabling_the_trigger_is_still_caught(site: AuditSite) -> None:
    site.fill(10)
    with site.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change"))
        conn.execute(text("UPDATE audit_entries SET reason = 'nothing to see' WHERE seq = 4"))
        conn.execute(text("DELETE FROM audit_entries WHERE seq = 9"))
        conn.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_change"))
    report = site.log.verify()
    assert seqs_of(report, Problem.EDITED) == [4]
    assert seqs_of(report, Problem.MISSING) == [9]
