"""Time helpers: all times are UTC-aware inside; the viewer's zone is applied at the edge."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

DEFAULT_VIEWER_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def utc_now() -> datetime:
    return datetime.now(UTC)


def ensure_utc(moment: datetime) -> datetime:
    """Treat naive datetimes (as SQLite returns them) as UTC, and convert aware ones to UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_viewer(moment: datetime, zone: ZoneInfo = DEFAULT_VIEWER_ZONE) -> datetime:
    return ensure_utc(moment).astimezone(zone)
