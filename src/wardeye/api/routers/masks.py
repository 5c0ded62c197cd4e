"""Privacy masks of a camera over HTTP: polygons (0-1 picture coordinates) blacked out of live
view, snapshots and playback for everyone without the ``unmask`` right. Reading them needs live
view of the camera; drawing, editing and removing them needs ``manage_cameras``, and every
change is audited (``mask_change``) with what changed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from wardeye.access.permissions import Permission
from wardeye.access.principal import Principal
from wardeye.api.auth import Services
from wardeye.api.guard import Allow
from wardeye.api.params import CameraId
from wardeye.api.services import ApiServices
from wardeye.audit.records import AuditAction, AuditResult, DetailValue
from wardeye.core.bounds import MAX_ID
from wardeye.core.errors import WardEyeError
from wardeye.privacy.masks import MaskCreate, MaskStore, MaskUpdate, MaskView

router = APIRouter(prefix="/api/cameras/{camera_id}/masks", tags=["privacy masks"])
MaskId = Annotated[int, Path(ge=1, le=MAX_ID, description="Privacy mask id.")]
Viewer = Annotated[Principal, Allow(Permission.VIEW_LIVE)]
Manager = Annotated[Principal, Allow(Permission.MANAGE_CAMERAS)]


def _store(services: ApiServices) -> MaskStore:
    """Masks live with the live view, which applies them."""
    if services.live is None or services.live.masks is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "privacy masks are not set up")
    return services.live.masks


def _audit(
    services: ApiServices,
    principal: Principal,
    camera_id: int,
    result: AuditResult,
    change: str,
    mask_id: int | None,
    **detail: DetailValue,
) -> None:
    services.access.record(
        principal, AuditAction.MASK_CHANGE, result, camera_id=camera_id,
        object_type="privacy_mask", object_id=None if mask_id is None else str(mask_id),
        detail={"change": change, **detail},
    )  # fmt: skip


@router.get("")
def list_masks(camera_id: CameraId, services: Services, principal: Viewer) -> list[MaskView]:
    """Every mask of the camera, enabled or not, in the order drawn."""
    camera = services.access.camera(principal, Permission.VIEW_LIVE, camera_id)
    return _store(services).views(camera.id)


@router.get("/{mask_id}")
def get_mask(
    camera_id: CameraId, mask_id: MaskId, services: Services, principal: Viewer
) -> MaskView:
    camera = services.access.camera(principal, Permission.VIEW_LIVE, camera_id)
    return _store(services).get(camera.id, mask_id)


@router.post("", status_code=201)
def create_mask(
    camera_id: CameraId, body: MaskCreate, services: Services, principal: Manager
) -> MaskView:
    """Draw a mask; open live streams of the camera are masked at once."""
    camera = services.access.camera(principal, Permission.MANAGE_CAMERAS, camera_id)
    try:
        mask = _store(services).create(camera.id, body)
    except WardEyeError as exc:
        _audit(services, principal, camera.id, "failed", "create", None, name=body.name,
               error=str(exc))  # fmt: skip
        raise
    _audit(services, principal, camera.id, "ok", "create", mask.id, name=mask.name,
           points=len(mask.points), enabled=mask.enabled)  # fmt: skip
    return mask


@router.patch("/{mask_id}")
def update_mask(
    camera_id: CameraId, mask_id: MaskId, body: MaskUpdate, services: Services, principal: Manager
) -> MaskView:
    """Rename, redraw, switch on or off; only the fields given change."""
    camera = services.access.camera(principal, Permission.MANAGE_CAMERAS, camera_id)
    try:
        mask = _store(services).update(camera.id, mask_id, body)
    except WardEyeError as exc:
        _audit(services, principal, camera.id, "failed", "update", mask_id, error=str(exc))
        raise
    changed = ",".join(sorted(body.model_dump(exclude_none=True)))
    _audit(services, principal, camera.id, "ok", "update", mask.id, name=mask.name,
           fields=changed, enabled=mask.enabled)  # fmt: skip
    return mask


@router.delete("/{mask_id}", status_code=204)
def delete_mask(
    camera_id: CameraId, mask_id: MaskId, services: Services, principal: Manager
) -> None:
    """Remove a mask; viewers see that part of the picture from the next frame on."""
    camera = services.access.camera(principal, Permission.MANAGE_CAMERAS, camera_id)
    try:
        mask = _store(services).delete(camera.id, mask_id)
    except WardEyeError as exc:
        _audit(services, principal, camera.id, "failed", "delete", mask_id, error=str(exc))
        raise
    _audit(services, principal, camera.id, "ok", "delete", mask.id, name=mask.name)
