"""A real, throw-away PostgreSQL server for tests and benchmarks.

initdb + pg_ctl from the installed PostgreSQL binaries, on a free port on 127.0.0.1, in a fresh
temporary directory. PostgreSQL refuses to run as root, so when we are root the server runs as
an unprivileged account (``postgres`` unless ``WARDEYE_PG_USER`` says otherwise) that owns the
directory. The binaries come from ``WARDEYE_PG_BINDIR``, else ``pg_ctl`` on PATH, else the
newest Debian ``/usr/lib/postgresql/<major>/bin``. If the server cannot start the fixture fails
(it never skips): a missing database must not turn into a green run.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import pytest

__all__ = [
    "PostgresServer",
    "PostgresStartError",
    "find_postgres_bindir",
    "postgresql_db_url",
    "postgresql_server",
    "postgresql_url",
]

SUPERUSER = "postgres"
SESSION_DB = "wardeye"
_DEBIAN_ROOT = Path("/usr/lib/postgresql")
_FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class PostgresStartError(RuntimeError):
    """The test PostgreSQL server could not be set up; the message says why."""


def find_postgres_bindir() -> Path:
    """Where initdb/pg_ctl live; see the module docstring for the search order."""
    candidates: list[Path] = []
    if env := os.environ.get("WARDEYE_PG_BINDIR"):
        candidates.append(Path(env))
    if on_path := shutil.which("pg_ctl"):
        candidates.append(Path(on_path).resolve().parent)
    majors = [p for p in _DEBIAN_ROOT.glob("*/bin") if p.parent.name.isdigit()]
    candidates += sorted(majors, key=lambda p: int(p.parent.name), reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresStartError(
        "PostgreSQL binaries not found (looked in WARDEYE_PG_BINDIR, PATH and "
        f"{_DEBIAN_ROOT}/*/bin). Install Debian's `postgresql` package."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as, or None to run as ourselves (we are not root)."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("WARDEYE_PG_USER", "postgres")
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise PostgresStartError(
            f"running as root, and PostgreSQL will not run as root; the account {name!r} "
            "does not exist (set WARDEYE_PG_USER to an unprivileged account)"
        ) from None


@dataclass
class PostgresServer:
    """One private cluster; ``start()`` then ``url(db)``/``create_database()``, ``stop()``."""

    bindir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 0
    root: Path | None = None
    _account: pwd.struct_passwd | None = field(default=None, repr=False)

    def url(self, database: str = SESSION_DB) -> str:
        """SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def start(self) -> None:
        """initdb and start; tries a few ports in case another process grabs ours first."""
        self.bindir = self.bindir or find_postgres_bindir()
        self._account = _server_account()
        self.root = Path(tempfile.mkdtemp(prefix="wardeye-pg-"))
        if self._account is not None:
            os.chown(self.root, self._account.pw_uid, self._account.pw_gid)
        self._run(
            "initdb", "-D", str(self._data), "-U", SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        errors: list[str] = []
        for _attempt in range(3):
            self.port = _free_port()
            try:
                self._pg_ctl_start()
                break
            except PostgresStartError as exc:
                errors.append(str(exc))
        else:
            raise PostgresStartError("\n".join(errors))
        self.create_database(SESSION_DB)

    def stop(self) -> None:
        """Fast shutdown, then remove every file of the cluster."""
        if self.root is None:
            return
        try:
            if (self._data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self._data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def create_database(self, name: str | None = None) -> str:
        """CREATE DATABASE (a unique name unless given); returns its URL."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE, closing any connections a test left open."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def _data(self) -> Path:
        assert self.root is not None, "server not started"
        return self.root / "data"

    def _pg_ctl_start(self) -> None:
        settings = [f"-c {s}" for s in (*_FAST_SETTINGS, f"listen_addresses={self.host}")]
        options = f"-p {self.port} -k {shlex.quote(str(self.root))} {' '.join(settings)}"
        log = self._data.parent / "server.log"
        try:
            self._run("pg_ctl", "-D", str(self._data), "-l", str(log), "-w", "-t", "30",
                      "-o", options, "start")  # fmt: skip
        except PostgresStartError as exc:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PostgresStartError(f"{exc}\nserver log:\n{tail}") from None

    def _admin(self, sql: str) -> None:
        import psycopg  # the `postgres` extra; imported here so other tests never need it

        conninfo = f"host={self.host} port={self.port} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.encode())

    def _run(self, program: str, *args: str) -> None:
        account = self._account
        assert self.bindir is not None, "server not started"
        env = dict(os.environ, LC_ALL="C", HOME=str(self.root))
        try:
            subprocess.run(
                [str(self.bindir / program), *args],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
                cwd=self.root,
                env=env,
                user=account.pw_uid if account else None,
                group=account.pw_gid if account else None,
                extra_groups=[] if account else None,
            )
        except subprocess.CalledProcessError as exc:
            raise PostgresStartError(
                f"{program} failed (exit {exc.returncode}): {exc.stderr.strip() or exc.stdout}"
            ) from None
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PostgresStartError(f"{program} could not run: {exc}") from None


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session, stopped and deleted at the end."""
    server = PostgresServer()
    try:
        server.start()
    except PostgresStartError as exc:
        server.stop()
        pytest.fail(f"could not start the test PostgreSQL server: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgresql_url(postgresql_server: PostgresServer) -> str:
    """URL of the session-wide database ``wardeye`` (shared by every test: keep it tidy)."""
    return postgresql_server.url(SESSION_DB)


@pytest.fixture
def postgresql_db_url(postgresql_server: PostgresServer) -> Iterator[str]:
    """URL of a fresh, empty database for one test; dropped afterwards."""
    url = postgresql_server.create_database()
    yield url
    postgresql_server.drop_database(url.rsplit("/", 1)[1])
