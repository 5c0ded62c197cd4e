"""Run the catalog's Alembic migrations from code (app start, CLI, tests); no alembic.ini."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from wardeye.catalog.database import MIGRATIONS_DIR, Database, create_catalog_engine

__all__ = [
    "alembic_config",
    "current",
    "downgrade",
    "ensure_current",
    "head",
    "upgrade",
]

# Key of the PostgreSQL advisory lock that serialises migrations across recorder nodes.
_LOCK_KEY = zlib.crc32(b"wardeye.catalog.migrate")


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic Config pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    if url is not None:
        config.attributes["url"] = url
    return config


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """One transaction; on PostgreSQL it first takes a lock so concurrent starters queue up."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        yield connection


def _upgrade_engine(engine: Engine, revision: str) -> None:
    with _migration_connection(engine) as connection:
        command.upgrade(alembic_config(connection), revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the catalog at ``url`` up to ``revision`` (default: the newest)."""
    engine = create_catalog_engine(url)
    try:
        _upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """Step the catalog back to ``revision`` (``"base"`` drops every table)."""
    engine = create_catalog_engine(url)
    try:
        with _migration_connection(engine) as connection:
            command.downgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    """The revision the catalog is at, or None for an empty (never migrated) database."""
    engine = create_catalog_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    """The newest revision shipped with this version of WardEye."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return revision


def ensure_current(db: Database) -> None:
    """Upgrade the app's catalog to head at start; a no-op when it is already there."""
    _upgrade_engine(db.engine, "head")
