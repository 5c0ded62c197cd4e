"""Changes to cameras, areas and users, checked and audited for whoever asks. The REST API, the
web app, the CSV import and the CLI all come through here, so one admin cannot do through one
door what another door refuses (the registry below validates; this layer decides who)."""

from __future__ import annotations

from collections.abc import Callable

from wardeye.access.permissions import Permission, Role
from wardeye.access.policy import AccessPolicy, Footage
from wardeye.access.principal import Principal
from wardeye.audit.records import AuditAction
from wardeye.core.errors import Conflict, Forbidden, NotFound
from wardeye.registry.areas import AreaRegistry
from wardeye.registry.camera_import import CameraImporter, ImportReport
from wardeye.registry.cameras import CameraRegistry
from wardeye.registry.footage_requests import (
    FootageAnswer,
    FootageRequestCreate,
    FootageRequests,
    FootageRequestView,
)
from wardeye.registry.household import HouseholdRegistration
from wardeye.registry.schemas import (
    AreaCreate,
    AreaView,
    CameraCreate,
    CameraUpdate,
    CameraView,
    ConsentTier,
    UserCreate,
    UserUpdate,
    UserView,
)
from wardeye.registry.users import UserService

SessionRevoker = Callable[[int], None]  # revokes every session of a user id
LOCATION_ONLY = "file:///location-only/"  # a camera shared only by its place: never opened


class Administration:
    def __init__(
        self,
        policy: AccessPolicy,
        areas: AreaRegistry,
        cameras: CameraRegistry,
        importer: CameraImporter,
        users: UserService,
        requests: FootageRequests,
        revoke_sessions: SessionRevoker | None = None,
    ) -> None:
        self._policy = policy
        self._areas = areas
        self._cameras = cameras
        self._importer = importer
        self._users = users
        self._revoke_sessions = revoke_sessions
        self._requests = requests

    # -- areas --------------------------------------------------------------------------------

    def areas(self, principal: Principal) -> list[AreaView]:
        return [a for a in self._areas.list() if self._policy.area_in_scope(principal, a.id)]

    def area(self, principal: Principal, area_id: int) -> AreaView:
        self._policy.require_area(principal, area_id)
        return self._areas.get(area_id)

    def create_area(self, principal: Principal, data: AreaCreate) -> AreaView:
        self._policy.require(principal, Permission.MANAGE_AREAS)
        if data.parent_id is None and principal.area_ids is not None:
            raise Forbidden("only an admin of every area can add a top-level area")
        if data.parent_id is not None:
            self._policy.require_area(principal, data.parent_id)
        area = self._areas.create(data)
        self._policy.record(
            principal,
            AuditAction.AREA_CHANGE,
            object_type="area",
            object_id=str(area.id),
            detail={"op": "create", "name": area.name},
        )
        return area

    # -- cameras ------------------------------------------------------------------------------

    def create_camera(self, principal: Principal, data: CameraCreate) -> CameraView:
        self._policy.require(principal, Permission.MANAGE_CAMERAS)
        self._policy.require_area(principal, data.area_id)
        camera = self._cameras.create(data)
        self._camera_audit(principal, camera, "create")
        return camera

    def update_camera(self, principal: Principal, camera_id: int, data: CameraUpdate) -> CameraView:
        before = self._policy.camera(principal, Permission.MANAGE_CAMERAS, camera_id)
        if data.area_id is not None:
            self._policy.require_area(principal, data.area_id)
        camera = self._cameras.update(camera_id, data)
        changed = sorted(data.model_dump(exclude_unset=True))
        self._camera_audit(principal, camera, "update", ",".join(changed))
        if before.consent_tier != camera.consent_tier:
            self._consent_audit(principal, before, camera)
        return camera

    def set_enabled(self, principal: Principal, camera_id: int, enabled: bool) -> CameraView:
        return self.update_camera(principal, camera_id, CameraUpdate(enabled=enabled))

    def delete_camera(self, principal: Principal, camera_id: int) -> None:
        camera = self._policy.camera(principal, Permission.MANAGE_CAMERAS, camera_id)
        self._cameras.delete(camera_id)
        self._camera_audit(principal, camera, "delete")

    def set_consent(self, principal: Principal, camera_id: int, tier: ConsentTier) -> CameraView:
        """The owner of a household camera (or an admin of its area) changes what it shares;
        a withdrawal takes effect on open viewers at once (the live hub follows the bus)."""
        before = self._policy.camera(principal, Permission.SET_CONSENT, camera_id)
        if before.kind != "household":
            raise Forbidden("only household cameras have a consent tier")
        if camera_id not in principal.owned_camera_ids and not principal.can(
            Permission.MANAGE_CAMERAS
        ):
            raise NotFound(f"no camera with id {camera_id}")
        camera = self._cameras.update(camera_id, CameraUpdate(consent_tier=tier))
        if before.consent_tier != camera.consent_tier:
            self._consent_audit(principal, before, camera)
        return camera

    def register_household(self, principal: Principal, data: HouseholdRegistration) -> CameraView:
        """An owner shares a camera: it is recorded or shown only once an admin verified it."""
        self._policy.require(principal, Permission.REGISTER_CAMERA)
        if principal.user_id is None:
            raise Forbidden("only an owner account registers household cameras")
        camera = self._cameras.create(
            CameraCreate(
                name=data.name,
                area_id=data.area_id,
                kind="household",
                consent_tier=data.consent_tier,
                owner_user_id=principal.user_id,
                owner_name=principal.username,
                latitude=data.latitude,
                longitude=data.longitude,
                main_url=data.main_url or f"{LOCATION_ONLY}{principal.user_id}",
                description=data.description,
            ),
            verified=False,
        )
        self._camera_audit(principal, camera, "register")
        return camera

    def verify_camera(self, principal: Principal, camera_id: int) -> CameraView:
        """An admin of the area checked a self-registered camera (place, owner, stream)."""
        self._policy.camera(principal, Permission.MANAGE_CAMERAS, camera_id)
        camera = self._cameras.set_verified(camera_id, True)
        self._camera_audit(principal, camera, "verify")
        return camera

    # -- footage requests to household owners -----------------------------------------------

    def request_footage(
        self, principal: Principal, camera_id: int, data: FootageRequestCreate
    ) -> FootageRequestView:
        """Police ask the owner of a camera that does not share video for a stretch of it."""
        camera = self._policy.camera(principal, Permission.REQUEST_FOOTAGE, camera_id)
        if camera.kind != "household" or camera.consent_tier == "live":
            raise Conflict(f"{camera.name!r} shares its video already: no request is needed")
        request = self._requests.create(camera_id, principal.user_id, data)
        self._policy.record(
            principal,
            AuditAction.APPROVAL,
            camera_id=camera_id,
            object_type="footage_request",
            object_id=str(request.id),
            footage=Footage(data.start, data.end, data.reason, data.case_ref),
            detail={"op": "request"},
        )
        return request

    def footage_requests(self, principal: Principal) -> list[FootageRequestView]:
        """Requests about cameras in the principal's areas (an owner: their own cameras)."""
        return self._requests.for_cameras(self._policy.camera_ids(principal, Permission.VIEW_MAP))

    def answer_request(
        self, principal: Principal, request_id: int, answer: FootageAnswer
    ) -> FootageRequestView:
        """The owner (only) accepts or refuses; a request for someone else's camera looks as
        if it did not exist."""
        try:
            request = self._requests.get(request_id)
            if request.camera_id not in principal.owned_camera_ids:
                raise NotFound
        except NotFound:
            raise NotFound(f"no footage request with id {request_id}") from None
        answered = self._requests.answer(request_id, answer)
        self._policy.record(
            principal,
            AuditAction.APPROVAL,
            camera_id=request.camera_id,
            object_type="footage_request",
            object_id=str(request_id),
            footage=Footage(request.start, request.end, answer.comment, request.case_ref),
            detail={"op": answered.status},
        )
        return answered

    def import_cameras(self, principal: Principal, text: str, dry_run: bool) -> ImportReport:
        self._policy.require(principal, Permission.MANAGE_CAMERAS)
        report = self._importer.import_csv(
            text, dry_run=dry_run, allowed_area_ids=principal.area_ids
        )
        if report.imported:
            self._policy.record(
                principal,
                AuditAction.CAMERA_CHANGE,
                object_type="camera",
                detail={"op": "import", "count": len(report.imported)},
            )
        return report

    # -- users --------------------------------------------------------------------------------

    def users(self, principal: Principal) -> list[UserView]:
        self._policy.require(principal, Permission.MANAGE_USERS)
        return [u for u in self._users.list() if self._policy.user_in_scope(principal, u)]

    def user(self, principal: Principal, user_id: int) -> UserView:
        self._policy.require(principal, Permission.MANAGE_USERS)
        found = self._users.get(user_id)
        if found is None:
            raise NotFound(f"no user with id {user_id}")
        return self._policy.require_user(principal, found)

    def create_user(self, principal: Principal, data: UserCreate) -> UserView:
        self._policy.require(principal, Permission.MANAGE_USERS)
        if data.role != Role.OWNER:
            self._policy.assignable_areas(principal, data.area_ids)
        elif data.area_ids:
            raise Forbidden("an owner account sees only its own cameras: give it no area")
        user = self._users.add(data)
        self._user_audit(principal, user, "create")
        return user

    def update_user(self, principal: Principal, user_id: int, data: UserUpdate) -> UserView:
        target = self.user(principal, user_id)
        if data.area_ids is not None:
            self._policy.assignable_areas(principal, data.area_ids)
        if principal.user_id == target.id and (data.role not in (None, target.role)):
            raise Forbidden("you cannot change your own role")
        if principal.user_id == target.id and data.active is False:
            raise Forbidden("you cannot disable your own account")
        user = self._users.update(user_id, data)
        changed = ",".join(sorted(data.model_dump(exclude_unset=True)))
        self._user_audit(principal, user, "update", changed)
        if data.active is False or (data.role is not None and data.role != target.role):
            self._revoke(user.id)
        return user

    def reset_password(self, principal: Principal, user_id: int, password: str) -> UserView:
        self.user(principal, user_id)
        user = self._users.set_password(user_id, password)
        self._user_audit(principal, user, "reset_password")
        self._revoke(user.id)
        return user

    def _revoke(self, user_id: int) -> None:
        if self._revoke_sessions is not None:
            self._revoke_sessions(user_id)

    # -- audit helpers ------------------------------------------------------------------------

    def _camera_audit(
        self, principal: Principal, camera: CameraView, op: str, fields: str = ""
    ) -> None:
        self._policy.record(
            principal,
            AuditAction.CAMERA_CHANGE,
            camera_id=camera.id,
            object_type="camera",
            object_id=str(camera.id),
            detail={"op": op, "name": camera.name, "fields": fields},
        )

    def _consent_audit(self, principal: Principal, before: CameraView, after: CameraView) -> None:
        self._policy.record(
            principal,
            AuditAction.CONSENT_CHANGE,
            camera_id=after.id,
            object_type="camera",
            object_id=str(after.id),
            detail={"from": before.consent_tier, "to": after.consent_tier},
        )

    def _user_audit(self, principal: Principal, user: UserView, op: str, fields: str = "") -> None:
        self._policy.record(
            principal,
            AuditAction.USER_CHANGE,
            object_type="user",
            object_id=str(user.id),
            detail={
                "op": op,
                "username": user.username,
                "role": user.role,
                "areas": ",".join(map(str, user.area_ids)),
                "fields": fields,
            },
        )
