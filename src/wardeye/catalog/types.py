"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from wardeye.catalog.credentials import CredentialCipher, is_sealed, open_without_key


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the catalog; use UTC-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Attribute on an engine's Dialect holding that catalog's CredentialCipher. Column types only
# see the dialect, and each engine has its own dialect object: hanging the cipher there ties
# the key to the Database that opened it, with no process-wide registry (two catalogs with
# two keys in one process, as in tests, stay apart).
CIPHER_ATTRIBUTE = "wardeye_credential_cipher"


def dialect_cipher(dialect: Dialect) -> CredentialCipher | None:
    cipher = getattr(dialect, CIPHER_ATTRIBUTE, None)
    return cipher if isinstance(cipher, CredentialCipher) else None


class EncryptedText(TypeDecorator[str]):
    """Text encrypted at rest with the catalog's credential key; readers (recorder, live tap,
    analytics, API masking) get the plain value and never know. Plain values written before
    encryption are read as they are (``Database.seal_credentials`` encrypts them)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        cipher = dialect_cipher(dialect)
        return value if cipher is None or is_sealed(value) else cipher.seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        cipher = dialect_cipher(dialect)
        return open_without_key(str(value)) if cipher is None else cipher.open(str(value))
