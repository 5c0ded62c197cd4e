"""Secrets at rest: the data directory and catalog files are private to the service account,
and camera stream credentials are encrypted in the catalog (SQLite file and PostgreSQL) while
every reader still gets the plain URL."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from wardeye.catalog import migrate
from wardeye.catalog.credentials import KEY_FILE, PREFIX, CredentialKeyError
from wardeye.catalog.database import Database, private_dir
from wardeye.catalog.models import Area, Camera
from wardeye.registry.cameras import CameraRegistry
from wardeye.registry.schemas import CameraCreate
from wardeye.testing.postgres_fixtures import PostgresServer

PASSWORD = "Secr3t-Stream-pw"
MAIN = f"rtsp://admin:{PASSWORD}@192.168.1.10:554/Streaming/Channels/101"
SUB = f"rtsp://admin:{PASSWORD}@192.168.1.10:554/Streaming/Channels/102"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _add_camera(db: Database) -> int:
    with db.session() as session:
        area = Area(name="Phường Hạc Thành", level="commune")
        session.add(area)
        session.flush()
    return (
        CameraRegistry(db)
        .create(CameraCreate(name="Cổng chợ", area_id=area.id, main_url=MAIN, sub_url=SUB))
        .id
    )


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    data = tmp_path / "data"
    db = Database(f"sqlite:///{data / 'catalog.sqlite3'}", data_dir=data)
    migrate.ensure_current(db)
    return db


def test_data_dir_and_catalog_files_are_private(sqlite_db: Database, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _add_camera(sqlite_db)
    with sqlite_db.engine.connect() as connection:  # the WAL files exist while it is open
        connection.execute(text("SELECT count(*) FROM cameras"))
        files = {p.name: _mode(p) for p in data.iterdir()}
    sqlite_db.dispose()
    assert _mode(data) == 0o700
    assert {"catalog.sqlite3", "catalog.sqlite3-wal", "catalog.sqlite3-shm", KEY_FILE} <= set(files)
    assert {name: mode for name, mode in files.items() if mode != 0o600} == {}


def test_files_left_world_readable_by_an_older_version_are_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    catalog = data / "catalog.sqlite3"
    sqlite3.connect(catalog).close()
    catalog.chmod(0o644)
    (data / "catalog.sqlite3-wal").write_bytes(b"")
    (data / "catalog.sqlite3-wal").chmod(0o644)
    private_dir(data)
    Database(f"sqlite:///{catalog}", data_dir=data).dispose()
    assert _mode(data) == 0o700
    assert _mode(catalog) == 0o600 and _mode(data / "catalog.sqlite3-wal") == 0o600


def test_a_shared_sticky_directory_is_left_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    private_dir(shared)
    assert _mode(shared) == 0o1777


def test_raw_catalog_holds_no_stream_password(sqlite_db: Database, tmp_path: Path) -> None:
    camera_id = _add_camera(sqlite_db)
    with sqlite_db.session() as session:
        camera = session.get(Camera, camera_id)
        assert camera is not None
        assert (camera.main_url, camera.sub_url) == (MAIN, SUB)  # what the recorder reads
    stored = sqlite_db.engine.connect().execute(text("SELECT main_url, sub_url FROM cameras"))
    assert all(value.startswith(PREFIX) for value in stored.one())
    sqlite_db.dispose()
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("catalog.sqlite3*"))
    assert raw and PASSWORD.encode() not in raw and b"192.168.1.10" not in raw


def test_plain_rows_from_before_encryption_are_read_then_sealed(
    sqlite_db: Database, tmp_path: Path
) -> None:
    camera_id = _add_camera(sqlite_db)
    with sqlite_db.engine.begin() as connection:  # as an older WardEye left it
        connection.execute(text("UPDATE cameras SET main_url = :m, sub_url = NULL"), {"m": MAIN})
    assert CameraRegistry(sqlite_db).get(camera_id).has_credentials
    with sqlite_db.session() as session:
        assert session.get(Camera, camera_id).main_url == MAIN  # type: ignore[union-attr]
    assert sqlite_db.seal_credentials() == 1
    assert sqlite_db.seal_credentials() == 0  # nothing left to seal
    with sqlite_db.engine.connect() as connection:
        row = connection.execute(text("SELECT main_url, sub_url FROM cameras")).one()
    assert row[0].startswith(PREFIX) and row[1] is None
    with sqlite_db.session() as session:
        assert session.get(Camera, camera_id).main_url == MAIN  # type: ignore[union-attr]


def test_a_recorder_process_opening_the_same_sqlite_file_finds_the_key(
    sqlite_db: Database,
) -> None:
    """``python -m wardeye.recording --database-url …`` is given no data directory: for a
    SQLite catalog the key beside the file (the data directory in the default layout) is used."""
    camera_id = _add_camera(sqlite_db)
    recorder_side = Database(sqlite_db.url)
    with recorder_side.session() as session:
        assert session.get(Camera, camera_id).main_url == MAIN  # type: ignore[union-attr]
    recorder_side.dispose()


def test_another_data_directory_cannot_read_the_urls(sqlite_db: Database, tmp_path: Path) -> None:
    _add_camera(sqlite_db)
    stranger = Database(sqlite_db.url, data_dir=tmp_path / "elsewhere")
    with pytest.raises(CredentialKeyError), stranger.session() as session:
        session.query(Camera).all()
    stranger.dispose()


@pytest.mark.postgres
def test_postgres_stores_sealed_urls(postgresql_server: PostgresServer, tmp_path: Path) -> None:
    url = postgresql_server.create_database()
    try:
        db = Database(url, data_dir=tmp_path / "data")
        migrate.ensure_current(db)
        camera_id = _add_camera(db)
        with db.engine.connect() as connection:
            stored = connection.execute(text("SELECT main_url, sub_url FROM cameras")).one()
        assert all(v.startswith(PREFIX) and PASSWORD not in v for v in stored)
        with db.session() as session:
            camera = session.get(Camera, camera_id)
            assert camera is not None and (camera.main_url, camera.sub_url) == (MAIN, SUB)
        assert _mode(tmp_path / "data" / KEY_FILE) == 0o600
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE cameras SET sub_url = :s"), {"s": SUB})
        assert db.seal_credentials() == 1
        db.dispose()
    finally:
        postgresql_server.drop_database(url.rsplit("/", 1)[1])


def test_databases_opened_side_by_side_keep_their_own_keys(tmp_path: Path) -> None:
    made: list[Database] = []
    opener: Callable[[str], Database] = lambda name: Database(  # noqa: E731
        f"sqlite:///{tmp_path / name / 'c.sqlite3'}", data_dir=tmp_path / name
    )
    for name in ("a", "b"):
        db = opener(name)
        migrate.ensure_current(db)
        _add_camera(db)
        made.append(db)
    keys = {(tmp_path / n / KEY_FILE).read_bytes() for n in ("a", "b")}
    assert len(keys) == 2
    for db in made:
        with db.session() as session:
            assert session.query(Camera).one().main_url == MAIN
        db.dispose()
