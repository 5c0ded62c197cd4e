"""`wardeye audit verify` against a real catalog: 0 when intact, 1 and a report when not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from audit_tamper import edit, intruder
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from typer.testing import CliRunner

from wardeye.audit.log import AuditLog
from wardeye.audit.records import AuditAction, AuditRecord
from wardeye.catalog import migrate
from wardeye.catalog.database import Database
from wardeye.cli import app

Cli = Callable[..., tuple[int, str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    config = tmp_path / "wardeye.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    monkeypatch.setenv("WARDEYE_CONFIG", str(config))
    monkeypatch.delenv("WARDEYE_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, result.output

    return invoke


def _fill(data_dir: Path, count: int) -> str:
    url = f"sqlite:///{(data_dir / 'catalog.sqlite3').resolve()}"
    migrate.upgrade(url)
    db = Database(url)
    log = AuditLog(db, data_dir, checkpoint_every_entries=4)
    for n in range(count):
        log.append(AuditRecord(action=AuditAction.SNAPSHOT, result="ok", detail={"n": n}))
    db.dispose()
    return url


def test_verify_intact_then_tampered(cli: Cli, tmp_path: Path) -> None:
    code, out = cli("audit", "verify")
    assert code == 0, out
    assert "intact" in out and "none yet" in out
    url = _fill(tmp_path / "data", 9)
    code, out = cli("audit", "verify")
    assert code == 0, out
    assert "intact" in out and "entry 8" in out
    with intruder(url) as conn:
        edit(conn, 3)
    code, out = cli("audit", "verify")
    assert code == 1
    assert "tampered" in out and "edited" in out and "entry 3 was changed" in out


def test_verify_with_a_pinned_public_key(cli: Cli, tmp_path: Path) -> None:
    _fill(tmp_path / "data", 4)
    pinned = tmp_path / "site_key.pub"
    pinned.write_bytes((tmp_path / "data" / "site_key.pub").read_bytes())
    assert cli("audit", "verify", "--public-key", str(pinned))[0] == 0
    other = Ed25519PrivateKey.generate().public_key()
    pinned.write_bytes(other.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    code, out = cli("audit", "verify", "--public-key", str(pinned))
    assert code == 1 and "bad_signature" in out
    pinned.write_text("junk")
    assert cli("audit", "verify", "--public-key", str(pinned))[0] == 2
