"""The one permission table: which role may do which action. Scope (which cameras and areas)
is decided by the policy; this module only says what each role may do at all."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # cameras, areas, users of their areas; reads the audit
    COMMANDER = "commander"  # approves extractions, lifts privacy masks
    INVESTIGATOR = "investigator"  # searches and extracts footage for cases
    OFFICER = "officer"  # watches live and recorded video, gets alerts
    VIEWER = "viewer"  # watches live video only
    OWNER = "owner"  # a household camera's owner: only their own cameras


class Permission(StrEnum):
    PUBLIC = "public"  # no sign-in needed (login page, liveness probe, static files)
    SIGNED_IN = "signed_in"  # any signed-in person (their own profile, sign out)
    VIEW_MAP = "view_map"  # cameras' names, places and state
    VIEW_LIVE = "view_live"
    VIEW_RECORDED = "view_recorded"
    VIEW_EVENTS = "view_events"
    VIEW_HEALTH = "view_health"
    SEARCH = "search"
    EXPORT = "export"
    APPROVE_EXPORT = "approve_export"
    UNMASK = "unmask"
    MANAGE_CAMERAS = "manage_cameras"
    MANAGE_AREAS = "manage_areas"
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"
    VIEW_OWN_ACCESS = "view_own_access"  # an owner reads who accessed their cameras
    SET_CONSENT = "set_consent"  # change a household camera's consent tier (owner, admin)
    REGISTER_CAMERA = "register_camera"  # an owner shares a new household camera
    REQUEST_FOOTAGE = "request_footage"  # ask a household owner for footage


_WATCH = frozenset(
    {
        Permission.SIGNED_IN,
        Permission.VIEW_MAP,
        Permission.VIEW_LIVE,
        Permission.VIEW_RECORDED,
        Permission.VIEW_EVENTS,
        Permission.VIEW_HEALTH,
        Permission.REQUEST_FOOTAGE,
    }
)

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.ADMIN: _WATCH
    | {Permission.SEARCH, Permission.MANAGE_CAMERAS, Permission.MANAGE_AREAS}
    | {Permission.MANAGE_USERS, Permission.READ_AUDIT, Permission.SET_CONSENT},
    Role.COMMANDER: _WATCH
    | {Permission.SEARCH, Permission.EXPORT, Permission.APPROVE_EXPORT, Permission.UNMASK}
    | {Permission.READ_AUDIT},
    Role.INVESTIGATOR: _WATCH | {Permission.SEARCH, Permission.EXPORT},
    Role.OFFICER: _WATCH,
    Role.VIEWER: frozenset({Permission.SIGNED_IN, Permission.VIEW_MAP, Permission.VIEW_LIVE}),
    Role.OWNER: frozenset(
        {
            Permission.SIGNED_IN,
            Permission.VIEW_MAP,
            Permission.VIEW_LIVE,
            Permission.VIEW_RECORDED,
            Permission.VIEW_EVENTS,
            Permission.VIEW_OWN_ACCESS,
            Permission.SET_CONSENT,
            Permission.REGISTER_CAMERA,
        }
    ),
}

# Permissions that touch a camera's pictures: refused for a household camera whose owner does
# not share video, whoever asks (except the owner, for their own camera).
VIDEO_PERMISSIONS = frozenset(
    {
        Permission.VIEW_LIVE,
        Permission.VIEW_RECORDED,
        Permission.VIEW_EVENTS,
        Permission.EXPORT,
        Permission.SEARCH,
    }
)

# Roles whose accounts must have a second factor when the site policy asks for it.
SENSITIVE_PERMISSIONS = frozenset({Permission.EXPORT, Permission.UNMASK})

ROLE_DESCRIPTIONS: Mapping[Role, str] = {
    Role.ADMIN: "Manages cameras, areas and users of their areas; reads the audit.",
    Role.COMMANDER: "Approves footage extractions and lifts privacy masks.",
    Role.INVESTIGATOR: "Searches footage and extracts evidence for cases.",
    Role.OFFICER: "Watches live and recorded video, receives alerts.",
    Role.VIEWER: "Watches live video only.",
    Role.OWNER: "Owner of a shared household camera: sees only their own cameras.",
}


def permissions_of(role: str) -> frozenset[Permission]:
    """An unknown role (a catalog edited by hand) may do nothing."""
    try:
        return ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return frozenset()


def needs_second_factor(role: str) -> bool:
    return bool(permissions_of(role) & SENSITIVE_PERMISSIONS)
