"""Limits every input is checked against before it reaches the catalog."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

MAX_ID = 2**63 - 1  # the largest integer SQLite and PostgreSQL BIGINT hold
# Areas, cameras, users and zones have INTEGER keys: 32-bit on PostgreSQL, where a larger
# value in an insert is a database error, not "not found".
MAX_KEY = 2**31 - 1
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # no camera footage is older than this
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_instant(moment: datetime) -> datetime:
    """An aware UTC instant between 2000 and 2200; a naive one is taken as UTC."""
    try:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("time is out of range (2000-2200)") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError("time is out of range (2000-2200)")
    return utc


MAX_RETENTION_DAYS = 36500.0  # a century: anything longer is a typing mistake
MAX_BODY_BYTES = 10 * 1024 * 1024  # the largest request body the API reads (a big camera CSV)
MAX_IMPORT_ROWS = 10_000  # cameras in one CSV import; a province has a few thousand at most


def clean_text(value: str, normalise: bool = True) -> str:
    """Text as the catalog keeps it: no NUL byte (PostgreSQL refuses them and they end C
    strings early) and, unless ``normalise`` is off, in Unicode NFC, so a name typed on a
    keyboard that composes ("ệ") and one that does not ("ệ") compare equal."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return unicodedata.normalize("NFC", value) if normalise else value
