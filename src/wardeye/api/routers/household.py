"""A household camera's owner: share a new camera (verified by an admin before it is pulled),
see the footage kept under evidence locks. Changing the tier is POST /api/cameras/{id}/consent;
who looked at their camera is /api/my/cameras/{id}/access (the audit router)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from wardeye.access.permissions import Permission
from wardeye.access.principal import Principal
from wardeye.api.auth import Services
from wardeye.api.guard import Allow
from wardeye.api.params import CameraId, RequestId
from wardeye.core.errors import NotFound
from wardeye.registry.footage_requests import FootageAnswer, FootageRequestView
from wardeye.registry.household import EvidenceLockView, HouseholdRegistration
from wardeye.registry.schemas import CameraView

router = APIRouter(prefix="/api/my", tags=["household owners"])
Owner = Annotated[Principal, Allow(Permission.REGISTER_CAMERA)]


class Place(BaseModel):
    """An administrative area an owner can place a camera in (the public map, no cameras)."""

    id: int
    path: list[str]


@router.get("/places")
def places(services: Services, _: Owner) -> list[Place]:
    return [Place(id=a.id, path=a.path) for a in services.areas.list()]


@router.post("/cameras", status_code=201)
def register_camera(
    body: HouseholdRegistration, services: Services, principal: Owner
) -> CameraView:
    """Share a camera: the commune's admin verifies it before it is recorded or shown."""
    return services.admin.register_household(principal, body)


@router.get("/cameras/{camera_id}/locks")
def evidence_locks(
    camera_id: CameraId,
    services: Services,
    principal: Annotated[Principal, Allow(Permission.VIEW_OWN_ACCESS)],
) -> list[EvidenceLockView]:
    """Footage of this camera kept for a case: it stays even after a withdrawal."""
    if camera_id not in principal.owned_camera_ids:
        raise NotFound(f"no camera with id {camera_id}")
    return services.household_locks(camera_id)


@router.get("/footage-requests")
def my_footage_requests(
    services: Services, principal: Annotated[Principal, Allow(Permission.VIEW_OWN_ACCESS)]
) -> list[FootageRequestView]:
    """What the police asked of the owner's cameras, newest first."""
    return services.admin.footage_requests(principal)


@router.post("/footage-requests/{request_id}/answer")
def answer_footage_request(
    request_id: RequestId, body: FootageAnswer, services: Services, principal: Owner
) -> FootageRequestView:
    """Accept or refuse (once); the answer and its comment are audited."""
    return services.admin.answer_request(principal, request_id, body)
