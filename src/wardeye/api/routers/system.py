"""Liveness and camera health."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter

from wardeye import __version__
from wardeye.api.auth import CurrentUser, Services

router = APIRouter(prefix="/api", tags=["system"])


@router.get("/health")
def health(services: Services) -> dict[str, str]:
    """Unauthenticated liveness probe for supervisors and load balancers."""
    return {"status": "ok", "version": __version__, "site": services.site_name}


@router.get("/health/cameras")
def camera_health(services: Services, _: CurrentUser) -> list[dict[str, Any]]:
    """Per camera stream: state, fps, bitrate, last keyframe, last error (credentials masked)."""
    return [
        dataclasses.asdict(h) if dataclasses.is_dataclass(h) else dict(h)  # type: ignore[arg-type]
        for h in services.camera_health()
    ]
