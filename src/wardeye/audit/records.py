"""What an audit entry says, as a typed message; the log that keeps them is ``audit.log``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from wardeye.core.clock import utc_now

DetailValue = str | int | float | bool | None
AuditResult = Literal["ok", "denied", "failed"]


class AuditAction(StrEnum):
    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    LOCKOUT = "lockout"
    UNLOCK = "unlock"
    SESSION_REVOKE = "session_revoke"
    TOKEN_CHANGE = "token_change"
    LIVE_START = "live_start"
    LIVE_STOP = "live_stop"
    PLAYBACK = "playback"
    SNAPSHOT = "snapshot"
    EVENT_VIEW = "event_view"
    SEARCH = "search"
    EXPORT = "export"
    APPROVAL = "approval"
    UNMASK = "unmask"
    USER_CHANGE = "user_change"
    AREA_CHANGE = "area_change"
    CAMERA_CHANGE = "camera_change"
    CONSENT_CHANGE = "consent_change"
    MASK_CHANGE = "mask_change"
    RETENTION_RUN = "retention_run"
    CONFIG_RELOAD = "config_reload"
    AUDIT_READ = "audit_read"
    ACCESS = "access"  # any other guarded action (listing, reading)


@dataclass(frozen=True)
class AuditRecord:
    """One thing someone did or tried: who, from where, what, on which object, why, result."""

    action: AuditAction
    result: AuditResult
    user_id: int | None = None
    username: str | None = None
    role: str | None = None
    client_address: str | None = None
    camera_id: int | None = None
    object_type: str | None = None  # "user", "area", "case", "route", …
    object_id: str | None = None
    start: datetime | None = None  # footage time range, when the action is about footage
    end: datetime | None = None
    case_ref: str | None = None
    reason: str | None = None
    detail: Mapping[str, DetailValue] = field(default_factory=dict)
    at: datetime = field(default_factory=utc_now)


class AuditSink(Protocol):
    """Where records go. ``audit.log.AuditLog`` is the real one (catalog + checkpoint file)."""

    def append(self, record: AuditRecord) -> None: ...
