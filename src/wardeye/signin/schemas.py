"""What the sign-in stores answer, as pydantic models the API returns as they are."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Stage = Literal["full", "second_factor", "enrol"]


class SessionView(BaseModel):
    """One signed-in browser or client (never its cookie)."""

    id: int
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    client_address: str | None
    user_agent: str | None
    current: bool = Field(False, description="The session this request came with.")


class TokenView(BaseModel):
    """An API token as listed: never the token itself, which is shown once at creation."""

    id: int
    user_id: int
    name: str
    scopes: list[str]
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class TotpEnrolment(BaseModel):
    """Shown once: type ``secret`` into an authenticator app (or open ``uri``), then confirm
    with a code it shows."""

    secret: str
    uri: str
