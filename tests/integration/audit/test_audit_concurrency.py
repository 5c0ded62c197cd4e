"""Appenders in many threads and in several processes at once still make one unbroken chain."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import select

from conftest import AuditSite
from wardeye.audit.records import AuditAction, AuditRecord
from wardeye.catalog.models import AuditEntry

THREADS, PER_THREAD = 8, 40

APPENDER = """
import sys
from pathlib import Path
from wardeye.audit.log import AuditLog
from wardeye.audit.records import AuditAction, AuditRecord
from wardeye.catalog.database import Database
url, data_dir, name, count = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
db = Database(url)
log = AuditLog(db, data_dir, checkpoint_every_entries=7)
print("READY", flush=True)
sys.stdin.readline()
for n in range(count):
    log.append(AuditRecord(action=AuditAction.RETENTION_RUN, result="ok", username=name,
                           detail={"n": n}))
db.dispose()
"""


def _usernames(site: AuditSite) -> list[str | None]:
    with site.db.session() as session:
        return list(session.scalars(select(AuditEntry.username).order_by(AuditEntry.seq)))


def test_threads_share_one_chain(site: AuditSite) -> None:
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait()
            for n in range(PER_THREAD):
                site.log.append(AuditRecord(action=AuditAction.ACCESS, result="ok",
                                            username=name, detail={"n": n}))  # fmt: skip
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = site.log.verify()
    assert report.intact, report.findings
    assert (report.entries, report.last_seq) == (THREADS * PER_THREAD, THREADS * PER_THREAD)
    assert set(_usernames(site)) == {f"t{i}" for i in range(THREADS)}


def test_processes_share_one_chain(site: AuditSite, tmp_path: Path) -> None:
    """The web app and a separate recorder process append to the same catalog."""
    count = 60
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, site.url, str(site.data_dir), f"p{i}", str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    site.fill(count)  # and this process too, meanwhile
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    report = site.log.verify()
    assert report.intact, report.findings
    assert report.entries == 4 * count
    assert report.checkpoints_in_file == report.checkpoints_in_table > 0
    assert {n for n in _usernames(site) if n and n.startswith("p")} == {"p0", "p1", "p2"}
