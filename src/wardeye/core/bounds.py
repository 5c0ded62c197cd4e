"""Limits every input is checked against before it reaches the catalog."""

from __future__ import annotations

from datetime import UTC, datetime

MAX_ID = 2**63 - 1  # the largest integer SQLite and PostgreSQL BIGINT hold
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
