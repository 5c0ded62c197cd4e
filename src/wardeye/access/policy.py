"""The access policy: one place that answers "may this principal do this on this camera",
"which cameras may they see", and writes the audit entry in the same call that decides.

Out-of-scope objects raise ``NotFound`` (they look as if they did not exist); a visible object
the principal may not act on raises ``Forbidden``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from wardeye.access.permissions import VIDEO_PERMISSIONS, Permission, Role
from wardeye.access.principal import Principal
from wardeye.audit.records import AuditAction, AuditRecord, AuditResult, AuditSink, DetailValue
from wardeye.catalog import areas as area_repo
from wardeye.catalog.database import Database
from wardeye.catalog.models import Camera
from wardeye.core.consent import video_shared
from wardeye.core.errors import Forbidden, NotFound, ReasonRequired
from wardeye.registry.cameras import CameraRegistry
from wardeye.registry.schemas import CameraView, UserView

REASON_REQUIRED_BY_DEFAULT = frozenset({Permission.VIEW_RECORDED, Permission.SEARCH})


@dataclass(frozen=True)
class CameraFlags:
    """Precomputed answers for templates and scripts, so they never re-derive the policy."""

    video_shared: bool  # the owner (or the camera being public) lets police see its video
    live: bool  # this principal may watch it live now
    recorded: bool  # this principal may play back its footage
    manage: bool  # this principal may edit it


@dataclass(frozen=True)
class Footage:
    """The footage an action is about, for the audit entry."""

    start: datetime | None = None
    end: datetime | None = None
    reason: str | None = None
    case_ref: str | None = None


class AccessPolicy:
    def __init__(
        self,
        db: Database,
        cameras: CameraRegistry,
        audit: AuditSink,
        reason_required_for: frozenset[Permission] = REASON_REQUIRED_BY_DEFAULT,
    ) -> None:
        self._db = db
        self._cameras = cameras
        self._audit = audit
        self._reason_required_for = reason_required_for

    def reason_needed(self, permission: Permission) -> bool:
        return permission in self._reason_required_for

    def check_reason(self, permission: Permission, reason: str | None) -> str | None:
        """Recorded playback and search need a stated reason by default (the web app asks
        once per viewing session); live view of public cameras needs none."""
        reason = (reason or "").strip() or None
        if reason is None and self.reason_needed(permission):
            raise ReasonRequired(
                f"say why you need this ({permission.value}): a reason is required"
            )
        return reason

    # -- who is asking ------------------------------------------------------------------------

    def principal_for(
        self,
        user: UserView,
        client_address: str | None = None,
        token_scopes: frozenset[Permission] | None = None,
    ) -> Principal:
        with self._db.session() as session:
            owned = frozenset(
                session.scalars(select(Camera.id).where(Camera.owner_user_id == user.id))
            )
            area_ids: frozenset[int] | None
            if user.role == Role.OWNER:
                area_ids = frozenset()  # owners see their own cameras, no area
            elif not user.area_ids:
                area_ids = None
            else:
                found: set[int] = set()
                for root in user.area_ids:
                    found |= area_repo.subtree_ids(session, root)
                area_ids = frozenset(found)
        return Principal(
            user_id=user.id,
            username=user.username,
            role=user.role,
            area_ids=area_ids,
            owned_camera_ids=owned,
            client_address=client_address,
            token_scopes=token_scopes,
        )

    # -- deciding -----------------------------------------------------------------------------

    def require(
        self, principal: Principal, permission: Permission, action: AuditAction | None = None
    ) -> None:
        """A permission that is not about one object (list users, read the audit)."""
        if not principal.can(permission):
            self.record(
                principal,
                action or AuditAction.ACCESS,
                "denied",
                detail={"permission": permission.value},
            )
            raise Forbidden(f"your role ({principal.role}) may not {permission.value}")
        if action is not None:
            self.record(principal, action, "ok", detail={"permission": permission.value})

    def area_in_scope(self, principal: Principal, area_id: int) -> bool:
        return principal.area_ids is None or area_id in principal.area_ids

    def require_area(self, principal: Principal, area_id: int) -> None:
        """Areas outside the principal's own look as if they did not exist."""
        if not self.area_in_scope(principal, area_id):
            raise NotFound(f"no area with id {area_id}")

    def camera_in_scope(self, principal: Principal, camera: CameraView) -> bool:
        if camera.id in principal.owned_camera_ids:
            return True
        if principal.is_owner:
            return False
        return self.area_in_scope(principal, camera.area_id)

    def camera(
        self,
        principal: Principal,
        permission: Permission,
        camera_id: int,
        action: AuditAction | None = None,
        footage: Footage | None = None,
        detail: Mapping[str, DetailValue] | None = None,
    ) -> CameraView:
        """The camera if the principal may do ``permission`` on it; audited when ``action``
        is given (and always when refused for a reason other than scope)."""
        try:
            camera = self._cameras.get(camera_id)
        except NotFound:
            raise NotFound(f"no camera with id {camera_id}") from None
        if not self.camera_in_scope(principal, camera):
            raise NotFound(f"no camera with id {camera_id}")
        refusal = self._refusal(principal, permission, camera)
        if refusal is not None:
            self._record_camera(
                principal,
                action or AuditAction.ACCESS,
                "denied",
                camera,
                footage,
                {**(detail or {}), "refused": refusal},
            )
            raise Forbidden(refusal)
        if action is not None:
            self._record_camera(principal, action, "ok", camera, footage, detail)
        return camera

    def _refusal(
        self, principal: Principal, permission: Permission, camera: CameraView
    ) -> str | None:
        if not principal.can(permission):
            return f"your role ({principal.role}) may not {permission.value}"
        if permission not in VIDEO_PERMISSIONS or camera.id in principal.owned_camera_ids:
            return None
        if not video_shared(camera.kind, camera.consent_tier):
            return (
                f"the owner of {camera.name!r} has not agreed to share its video "
                f"(consent tier {camera.consent_tier})"
            )
        if not camera.verified:
            return f"camera {camera.name!r} has not been verified by an admin yet"
        return None

    def unmasked(
        self, principal: Principal, camera: CameraView, asked: bool, reason: str | None
    ) -> bool:
        """Whether this viewing shows the picture without privacy masks: only when asked for,
        by a principal with ``unmask``, with a reason; lifting a mask is audited and lasts for
        that viewing only."""
        if not asked:
            return False
        if not principal.can(Permission.UNMASK):
            self._record_camera(principal, AuditAction.UNMASK, "denied", camera, None, None)
            raise Forbidden(f"your role ({principal.role}) may not lift privacy masks")
        stated = (reason or "").strip()
        if not stated:
            raise ReasonRequired("say why the privacy masks must be lifted: a reason is required")
        self._record_camera(
            principal, AuditAction.UNMASK, "ok", camera, Footage(reason=stated), None
        )
        return True

    def may(self, principal: Principal, permission: Permission, camera: CameraView) -> bool:
        return self.camera_in_scope(principal, camera) and (
            self._refusal(principal, permission, camera) is None
        )

    def cameras(
        self, principal: Principal, permission: Permission = Permission.VIEW_MAP
    ) -> list[CameraView]:
        """Every camera the principal may do ``permission`` on, by name."""
        if not principal.can(permission):
            return []
        return [c for c in self._cameras.list() if self.may(principal, permission, c)]

    def camera_ids(self, principal: Principal, permission: Permission) -> frozenset[int]:
        return frozenset(c.id for c in self.cameras(principal, permission))

    def flags(self, principal: Principal, camera: CameraView) -> CameraFlags:
        return CameraFlags(
            video_shared=video_shared(camera.kind, camera.consent_tier),
            live=camera.enabled and self.may(principal, Permission.VIEW_LIVE, camera),
            recorded=self.may(principal, Permission.VIEW_RECORDED, camera),
            manage=self.may(principal, Permission.MANAGE_CAMERAS, camera),
        )

    def user_in_scope(self, principal: Principal, user: UserView) -> bool:
        """An admin bound to areas manages only accounts bound inside those areas."""
        if principal.area_ids is None:
            return True
        return bool(user.area_ids) and all(a in principal.area_ids for a in user.area_ids)

    def require_user(self, principal: Principal, user: UserView) -> UserView:
        if not self.user_in_scope(principal, user):
            raise NotFound(f"no user with id {user.id}")
        return user

    def assignable_areas(self, principal: Principal, area_ids: Iterable[int]) -> None:
        """An admin bound to areas can only hand out areas inside their own, and cannot make
        an unbound (every-area) account."""
        wanted = list(area_ids)
        if principal.area_ids is None:
            return
        if not wanted:
            raise Forbidden("you can only create accounts bound to areas inside your own")
        for area_id in wanted:
            self.require_area(principal, area_id)

    # -- the audit ----------------------------------------------------------------------------

    def record(
        self,
        principal: Principal | None,
        action: AuditAction,
        result: AuditResult = "ok",
        camera_id: int | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        footage: Footage | None = None,
        detail: Mapping[str, DetailValue] | None = None,
    ) -> None:
        footage = footage or Footage()
        self._audit.append(
            AuditRecord(
                action=action,
                result=result,
                user_id=principal.user_id if principal else None,
                username=principal.username if principal else None,
                role=principal.role if principal else None,
                client_address=principal.client_address if principal else None,
                camera_id=camera_id,
                object_type=object_type,
                object_id=object_id,
                start=footage.start,
                end=footage.end,
                case_ref=footage.case_ref,
                reason=footage.reason,
                detail=dict(detail or {}),
            )
        )

    def _record_camera(
        self,
        principal: Principal,
        action: AuditAction,
        result: AuditResult,
        camera: CameraView,
        footage: Footage | None,
        detail: Mapping[str, DetailValue] | None,
    ) -> None:
        self.record(
            principal,
            action,
            result,
            camera_id=camera.id,
            object_type="camera",
            object_id=str(camera.id),
            footage=footage,
            detail=detail,
        )
