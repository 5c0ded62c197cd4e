"""The services the API is given by the composition root (wardeye.app)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wardeye.access.administration import Administration
from wardeye.access.policy import AccessPolicy
from wardeye.analytics.store import EventStore
from wardeye.audit.log import AuditLog
from wardeye.live.footage import FootageIndex
from wardeye.live.hub import LiveHub
from wardeye.privacy.masks import Mask
from wardeye.recording.health import CameraHealth
from wardeye.registry.areas import AreaRegistry
from wardeye.registry.cameras import CameraRegistry
from wardeye.registry.household import EvidenceLockView
from wardeye.registry.users import UserService


@dataclass(frozen=True)
class ApiServices:
    access: AccessPolicy  # who may do what; writes the audit
    admin: Administration  # guarded changes to cameras, areas, users
    audit: AuditLog  # the trail itself: search, CSV export, verify
    areas: AreaRegistry
    cameras: CameraRegistry
    users: UserService
    # Enabled privacy masks of a camera, blacked out of recorded playback. Required: a default
    # of "none" would serve unmasked footage if the composition root ever forgot it.
    masks: Callable[[int], Sequence[Mask]]
    site_name: str = "WardEye"
    timezone: str = "Asia/Ho_Chi_Minh"
    camera_health: Callable[[], Sequence[CameraHealth]] = field(default=lambda: [])
    secure_cookies: bool = False
    map_settings: dict[str, Any] = field(default_factory=dict)  # tiles/overlay for the map page
    map_overlay: Path | None = None  # operator's map picture, served at /map/overlay
    live: LiveHub | None = None
    footage: FootageIndex | None = None
    events: EventStore | None = None  # analytics events and zones
    household_locks: Callable[[int], list[EvidenceLockView]] = field(default=lambda camera_id: [])
