"""A migrated catalog on SQLite and on PostgreSQL, and an AuditLog over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from wardeye.audit.log import AuditLog
from wardeye.audit.records import AuditAction, AuditRecord
from wardeye.catalog import migrate
from wardeye.catalog.database import Database
from wardeye.testing.postgres_fixtures import PostgresServer


@dataclass
class AuditSite:
    url: str
    db: Database
    data_dir: Path
    log: AuditLog

    def fill(self, count: int) -> None:
        for n in range(count):
            self.log.append(
                AuditRecord(
                    action=AuditAction.LIVE_START if n % 2 else AuditAction.SIGN_IN,
                    result="ok",
                    user_id=n % 3 + 1,
                    username=f"cán bộ {n % 3}",
                    camera_id=n % 4 + 1,
                    reason=f"vụ việc {n}",
                    detail={"n": n},
                )
            )

    def reopen(self, every_entries: int = 5, every_seconds: float = 300.0) -> AuditLog:
        """Another AuditLog on the same site, as a second process would have."""
        return AuditLog(self.db, self.data_dir, every_entries, every_seconds)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/catalog.db"
        migrate.upgrade(url)
        yield url
        return
    server: PostgresServer = request.getfixturevalue("postgresql_server")
    url = server.create_database()
    migrate.upgrade(url)
    yield url
    server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def site(catalog_url: str, tmp_path: Path) -> Iterator[AuditSite]:
    """Checkpoints every 5 entries, so a 20-entry log has them at 5, 10, 15 and 20."""
    db = Database(catalog_url)
    data_dir = tmp_path / "data"
    yield AuditSite(catalog_url, db, data_dir, AuditLog(db, data_dir, checkpoint_every_entries=5))
    db.dispose()
