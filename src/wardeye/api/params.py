"""Range-checked path and query parameters: an id or a time outside what the catalog can
store answers 422, never a server error (SQLite integers stop at 2**63 - 1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from wardeye.core.bounds import MAX_ID, check_instant

CameraId = Annotated[int, Path(ge=1, le=MAX_ID, description="Camera id.")]
EventId = Annotated[int, Path(ge=1, le=MAX_ID, description="Event id.")]
ZoneId = Annotated[int, Path(ge=1, le=MAX_ID, description="Zone id.")]
AreaId = Annotated[int, Path(ge=1, le=MAX_ID, description="Area id.")]
RequestId = Annotated[int, Path(ge=1, le=MAX_ID, description="Footage request id.")]
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="User id.")]
Instant = Annotated[datetime, AfterValidator(check_instant)]
IdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]
