"""Alembic environment, configured from code: no alembic.ini is read at run time.

The caller (``wardeye.catalog.migrate`` or a test) puts a live SQLAlchemy connection in
``config.attributes["connection"]``, or a database URL in ``config.attributes["url"]``
(or the ``sqlalchemy.url`` option). Connections are opened through
``create_catalog_engine`` so SQLite gets the same WAL pragmas as the running app.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from wardeye.catalog.database import create_catalog_engine
from wardeye.catalog.models import Base

target_metadata = Base.metadata


def _url() -> str:
    url = context.config.attributes.get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "no database for migrations: set config.attributes['connection'] or ['url']"
        )
    return str(url)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_offline() -> None:
    """Emit SQL to stdout instead of running it (``alembic upgrade --sql``)."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run against the given connection, or open one from the URL and close it after."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_catalog_engine(_url())
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
