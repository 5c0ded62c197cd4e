"""Footage requests, police side: ask a household camera's owner for footage it does not share
on its own, and follow the answers. The owner answers under /api/my/footage-requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from wardeye.access.permissions import Permission
from wardeye.access.principal import Principal
from wardeye.api.auth import Services
from wardeye.api.guard import Allow
from wardeye.api.params import CameraId
from wardeye.registry.footage_requests import FootageRequestCreate, FootageRequestView

router = APIRouter(tags=["footage requests"])
Asker = Annotated[Principal, Allow(Permission.REQUEST_FOOTAGE)]


@router.post("/api/cameras/{camera_id}/footage-requests", status_code=201)
def request_footage(
    camera_id: CameraId, body: FootageRequestCreate, services: Services, principal: Asker
) -> FootageRequestView:
    """409 when the camera shares its video anyway (public, or household tier live)."""
    return services.admin.request_footage(principal, camera_id, body)


@router.get("/api/footage-requests")
def list_requests(services: Services, principal: Asker) -> list[FootageRequestView]:
    """Requests about the cameras of the principal's areas, newest first."""
    return services.admin.footage_requests(principal)
