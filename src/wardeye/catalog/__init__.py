"""The catalog: SQLAlchemy 2 models, Alembic migrations and repositories.
SQLite (WAL) by default; PostgreSQL with the same migrations when scaled out."""
