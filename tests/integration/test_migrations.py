"""Catalog migrations on real SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import StatementError

from wardeye.catalog import migrate
from wardeye.catalog.database import Database, create_catalog_engine
from wardeye.catalog.models import ROLE_NAMES, Area, Base, Camera, Role
from wardeye.testing.postgres_fixtures import PostgresServer

MODEL_TABLES = set(Base.metadata.tables)
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_url(request: pytest.FixtureRequest, tmp_path: Any) -> Callable[[], str]:
    """Makes URLs of fresh empty catalogs on the parametrised backend."""
    if request.param == "sqlite":
        names = iter(range(100))
        return lambda: f"sqlite:///{tmp_path}/catalog{next(names)}.db"
    server: PostgresServer = request.getfixturevalue("postgresql_server")
    created: list[str] = []

    def make() -> str:
        created.append(server.create_database())
        return created[-1]

    def drop_all() -> None:
        for url in created:
            server.drop_database(url.rsplit("/", 1)[1])

    request.addfinalizer(drop_all)
    return make


@pytest.fixture
def url(new_url: Callable[[], str]) -> str:
    return new_url()


@pytest.fixture
def db(url: str) -> Any:
    migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def _tables(url: str) -> set[str]:
    engine = create_catalog_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _roles(url: str) -> dict[str, str]:
    engine = create_catalog_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT name, description FROM roles"))
            return {name: description for name, description in rows}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(url: str) -> None:
    assert migrate.current(url) is None
    assert migrate.head() == "0009"

    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert _tables(url) == {*MODEL_TABLES, "alembic_version"}
    roles = _roles(url)
    assert set(roles) == set(ROLE_NAMES)
    assert all(description.strip() for description in roles.values())
    assert "cameras" in roles["admin"] and "read-only" in roles["viewer"].lower()

    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    assert _tables(url) == {"alembic_version"}

    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert set(_roles(url)) == set(ROLE_NAMES)


def test_migrated_schema_matches_models_by_autogenerate(url: str) -> None:
    migrate.upgrade(url)
    engine = create_catalog_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def _fingerprint(engine: Engine) -> dict[str, Any]:
    """Everything reflection sees, including what autogenerate ignores (checks, PK names)."""
    insp = inspect(engine)
    shape: dict[str, Any] = {}
    for table in sorted(set(insp.get_table_names()) - {"alembic_version"}):
        shape[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in insp.get_columns(table)
            ],
            "pk": insp.get_pk_constraint(table),
            "fks": sorted(map(repr, insp.get_foreign_keys(table))),
            "indexes": sorted(map(repr, insp.get_indexes(table))),
            "uniques": sorted(map(repr, insp.get_unique_constraints(table))),
            "checks": sorted(
                (c["name"], " ".join(c["sqltext"].split()))
                for c in insp.get_check_constraints(table)
            ),
        }
    return shape


def test_migrated_schema_equals_create_all(new_url: Callable[[], str]) -> None:
    migrated_url, created_url = new_url(), new_url()
    migrate.upgrade(migrated_url)
    migrated, created = create_catalog_engine(migrated_url), create_catalog_engine(created_url)
    try:
        Base.metadata.create_all(created)
        want, got = _fingerprint(created), _fingerprint(migrated)
        assert set(got) == MODEL_TABLES
        checks = sum(len(t["checks"]) for t in got.values())
        assert checks == sum(len(t["checks"]) for t in want.values()) >= 6
        for table in want:
            assert got[table] == want[table], table
    finally:
        migrated.dispose()
        created.dispose()


VIETNAMESE = (
    "Thành phố Hồ Chí Minh",
    "Quận 1",
    "Phường Bến Nghé",
    "Ấp Đông Thạnh",
)


def test_vietnamese_names_round_trip_exactly(db: Database, url: str) -> None:
    decomposed = unicodedata.normalize("NFD", "Xã Đông Thạnh")
    with db.session() as s:
        parent: Area | None = None
        for name, level in zip(
            VIETNAMESE, ("province", "district", "commune", "village"), strict=True
        ):
            parent = Area(name=name, level=level, parent=parent)
            s.add(parent)
            s.flush()  # ids in the order written
        s.add(Area(name=decomposed, level="commune"))
        s.add(
            Camera(
                name="Ngã tư Lê Lợi – Nguyễn Huệ",
                area=parent,
                kind="household",
                owner_name="Nguyễn Thị Hằng",
                consent_tier="on_request",
                main_url="rtsp://127.0.0.1/cam",
            )
        )
    fresh = Database(url)
    try:
        with fresh.session() as s:
            names = s.scalars(select(Area.name).order_by(Area.id)).all()
            camera = s.scalars(select(Camera)).one()
            assert names == [*VIETNAMESE, decomposed]
            assert names[-1] != unicodedata.normalize("NFC", decomposed)  # not normalised
            assert [n.encode() for n in names[:4]] == [n.encode() for n in VIETNAMESE]
            assert (camera.name, camera.owner_name) == (
                "Ngã tư Lê Lợi – Nguyễn Huệ",
                "Nguyễn Thị Hằng",
            )
            assert camera.area.name == "Ấp Đông Thạnh"
            found = s.scalars(select(Area).where(Area.name == "Phường Bến Nghé")).one()
            assert found.parent is not None and found.parent.name == "Quận 1"
    finally:
        fresh.dispose()


def test_utc_datetime_comes_back_aware_utc(db: Database) -> None:
    local = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=SAIGON)
    with db.session() as s:
        s.add(Area(name="Phường Bến Nghé", level="commune", created_at=local))
    with db.session() as s:
        if db.engine.dialect.name == "postgresql":
            s.execute(text("SET TIME ZONE 'Asia/Ho_Chi_Minh'"))  # driver returns +07:00 values
        raw = s.execute(text("SELECT created_at FROM areas")).scalar_one()
        got = s.scalars(select(Area.created_at)).one()
    assert got.tzinfo is UTC
    assert got == local
    assert (got.day, got.hour, got.microsecond) == (1, 20, 678000)
    if db.engine.dialect.name == "sqlite":
        assert str(raw).startswith("2026-01-01 20:04:05.678")  # stored as UTC wall time
    else:
        assert raw.utcoffset().total_seconds() == 7 * 3600  # the session zone, converted by us
    with pytest.raises(StatementError, match="naive datetime"), db.session() as s:
        s.add(Area(name="naive", level="village", created_at=datetime(2026, 1, 1)))


def test_ensure_current_is_idempotent(url: str) -> None:
    db = Database(url)
    try:
        migrate.ensure_current(db)
        migrate.ensure_current(db)
        assert migrate.current(url) == migrate.head()
        with db.session() as s:
            assert set(s.scalars(select(Role.name))) == set(ROLE_NAMES)
    finally:
        db.dispose()


def test_sqlite_catalog_is_in_wal_mode(tmp_path: Any) -> None:
    path = tmp_path / "nested" / "catalog.db"
    migrate.upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:  # a plain connection: WAL must be persistent in the file
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db = Database(f"sqlite:///{path}")
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        db.dispose()


@pytest.mark.postgres
def test_concurrent_upgrades_on_postgres_queue_up(postgresql_db_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def run() -> None:
        barrier.wait()
        try:
            migrate.upgrade(postgresql_db_url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert migrate.current(postgresql_db_url) == migrate.head()
    assert len(_roles(postgresql_db_url)) == len(ROLE_NAMES)
