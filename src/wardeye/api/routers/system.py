"""Liveness and camera health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from wardeye import __version__
from wardeye.access.permissions import Permission
from wardeye.access.principal import Principal
from wardeye.api.auth import Services
from wardeye.api.guard import Allow, Public
from wardeye.recording.health import CameraHealth

router = APIRouter(prefix="/api", tags=["system"])


class Liveness(BaseModel):
    status: str
    version: str
    site: str


@router.get("/health")
def health(services: Services, _: Annotated[Principal | None, Public()]) -> Liveness:
    """Unauthenticated liveness probe for supervisors and load balancers."""
    return Liveness(status="ok", version=__version__, site=services.site_name)


@router.get("/health/cameras")
def camera_health(
    services: Services, principal: Annotated[Principal, Allow(Permission.VIEW_HEALTH)]
) -> list[CameraHealth]:
    """Per visible camera stream: state, fps, bitrate, last keyframe, last error (credentials
    masked)."""
    visible = services.access.camera_ids(principal, Permission.VIEW_HEALTH)
    return [h for h in services.camera_health() if h.camera_id in visible]
