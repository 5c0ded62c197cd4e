"""Open the catalog database: engine, session factory, SQLite tuning, migrations, and the
protection of what it holds at rest (private files, encrypted stream URLs)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from wardeye.catalog.credentials import CredentialCipher, is_sealed
from wardeye.catalog.types import CIPHER_ATTRIBUTE

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
log = logging.getLogger(__name__)


def private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700) or take group/other access away from it: the data
    directory holds the catalog, the keys and footage, for the service account only. A shared
    sticky directory such as /tmp, or one owned by someone else, is left alone."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = path.stat()
    if os.name != "posix" or info.st_uid != os.getuid() or info.st_mode & stat.S_ISVTX:
        return path
    if info.st_mode & 0o077:
        path.chmod(stat.S_IMODE(info.st_mode) & 0o700)
    return path


def _private_file(path: Path) -> None:
    """Create the file 0600 before SQLite opens it (SQLite gives its -wal and -shm files the
    database file's mode), and tighten files an older version left world-readable."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for candidate in (path, *(path.with_name(path.name + s) for s in SQLITE_SIDE_FILES)):
        try:
            mode = candidate.stat().st_mode
        except FileNotFoundError:
            continue
        if mode & 0o077:
            candidate.chmod(0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def create_catalog_engine(url: str) -> Engine:
    """SQLite gets WAL, foreign keys and a busy timeout so the recorder and the API can share it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if _sqlite_file(url) is not None:
            path = Path(str(parsed.database))
            if not path.parent.exists():
                private_dir(path.parent)
            _private_file(path)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        url = str(parsed.set(drivername="postgresql+psycopg"))
    return create_engine(url, pool_pre_ping=True)


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def key_directory(url: str, data_dir: Path | None) -> Path | None:
    """Where the credential key lives: the data directory, or for a SQLite catalog opened
    without one (a recorder-only process, a tool) the catalog's own folder, which is the data
    directory in the default layout. None: no key, stream URLs are stored as given."""
    if data_dir is not None:
        return data_dir
    path = _sqlite_file(url)
    return None if path is None else path.resolve().parent


class Database:
    """Engine plus session factory; the one handle repositories are given.

    ``data_dir`` holds the credential key (``credentials.key``) that encrypts stream URLs;
    every process opening the same catalog must see the same data directory."""

    def __init__(self, url: str, data_dir: Path | None = None) -> None:
        self.url = url
        self.engine = create_catalog_engine(url)
        directory = key_directory(url, data_dir)
        self.cipher = None if directory is None else CredentialCipher.in_directory(directory)
        if self.cipher is None:
            log.warning("catalog opened without a data directory: stream URLs are stored plain")
        # Column types see only the dialect; each engine has its own (see catalog.types).
        setattr(self.engine.dialect, CIPHER_ATTRIBUTE, self.cipher)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def seal_credentials(self) -> int:
        """Encrypt stream URLs still stored plain (catalogs from before encryption, or rows
        written by a process opened without a key); returns how many rows were changed."""
        if self.cipher is None or not inspect(self.engine).has_table("cameras"):
            return 0
        changed = 0
        with self.engine.begin() as connection:
            rows = connection.execute(text("SELECT id, main_url, sub_url FROM cameras")).all()
            for camera_id, main_url, sub_url in rows:
                values = {"m": main_url, "s": sub_url}
                for key, value in values.items():
                    if value is not None and not is_sealed(value):
                        values[key] = self.cipher.seal(value)
                if values != {"m": main_url, "s": sub_url}:
                    connection.execute(
                        text("UPDATE cameras SET main_url = :m, sub_url = :s WHERE id = :id"),
                        {**values, "id": camera_id},
                    )
                    changed += 1
        return changed

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
