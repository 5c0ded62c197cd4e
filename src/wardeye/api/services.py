"""The services the API is given by the composition root (wardeye.app)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from wardeye.access.administration import Administration
from wardeye.access.policy import AccessPolicy
from wardeye.analytics.store import EventStore
from wardeye.audit.records import AuditSink
from wardeye.live.footage import FootageIndex
from wardeye.live.hub import LiveHub
from wardeye.recording.health import CameraHealth
from wardeye.registry.areas import AreaRegistry
from wardeye.registry.cameras import CameraRegistry
from wardeye.registry.users import UserService


@dataclass(frozen=True)
class ApiServices:
    access: AccessPolicy  # who may do what; writes the audit
    admin: Administration  # guarded changes to cameras, areas, users
    audit: AuditSink
    areas: AreaRegistry
    cameras: CameraRegistry
    users: UserService
    site_name: str = "WardEye"
    timezone: str = "Asia/Ho_Chi_Minh"
    camera_health: Callable[[], Sequence[CameraHealth]] = field(default=lambda: [])
    secure_cookies: bool = False
    map_settings: dict[str, Any] = field(default_factory=dict)  # tiles/overlay for the map page
    map_overlay: Path | None = None  # operator's map picture, served at /map/overlay
    live: LiveHub | None = None
    footage: FootageIndex | None = None
    # Analytics events of a camera in [start, end) as JSON-able dicts, for the timeline.
    events_between: Callable[[int, datetime, datetime], Sequence[dict[str, Any]]] = field(
        default=lambda camera_id, start, end: []
    )
    events: EventStore | None = None  # analytics events and zones
    reason_required: frozenset[str] = frozenset({"view_recorded", "search"})
