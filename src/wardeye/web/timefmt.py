"""Times as viewers read them: their zone (default Asia/Ho_Chi_Minh), day first (dd/mm/yyyy)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from wardeye.core.clock import ensure_utc

DATE_TIME = "%d/%m/%Y %H:%M:%S"


def format_local(moment: datetime | None, zone: str = "Asia/Ho_Chi_Minh") -> str:
    """UTC (or naive UTC) inside, dd/mm/yyyy HH:MM:SS in the viewer's zone outside."""
    if moment is None:
        return "–"
    return ensure_utc(moment).astimezone(ZoneInfo(zone)).strftime(DATE_TIME)
