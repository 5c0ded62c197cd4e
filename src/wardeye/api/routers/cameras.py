"""Camera registry over HTTP. Stream credentials are stored but never returned. Who may see or
change which camera is the access policy's call (``services.access`` / ``services.admin``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from wardeye.access.permissions import Permission
from wardeye.access.policy import CameraFlags
from wardeye.access.principal import Principal
from wardeye.api.auth import Services
from wardeye.api.guard import Allow
from wardeye.api.params import CameraId, IdQuery
from wardeye.registry.camera_import import RowError
from wardeye.registry.schemas import CameraCreate, CameraUpdate, CameraView, ConsentTier

router = APIRouter(prefix="/api/cameras", tags=["cameras"])
MAX_IMPORT_BYTES = 10 * 1024 * 1024


class VisibleCamera(CameraView):
    """A camera with what the asking principal may do with it, precomputed by the policy so
    the web app never re-derives consent or permissions."""

    video_shared: bool
    may_live: bool
    may_play: bool
    may_manage: bool

    @classmethod
    def of(cls, camera: CameraView, flags: CameraFlags) -> VisibleCamera:
        return cls(
            **camera.model_dump(),
            video_shared=flags.video_shared,
            may_live=flags.live,
            may_play=flags.recorded,
            may_manage=flags.manage,
        )


@router.get("")
def list_cameras(
    services: Services,
    principal: Annotated[Principal, Allow(Permission.VIEW_MAP)],
    area_id: Annotated[IdQuery | None, Query(description="Area; includes areas inside it.")] = None,
    enabled: bool | None = None,
    kind: Literal["public", "household"] | None = None,
) -> list[VisibleCamera]:
    """The cameras this principal may see (an area outside their own answers 404)."""
    cameras = services.access.cameras(principal, Permission.VIEW_MAP)
    if area_id is not None:
        services.admin.area(principal, area_id)  # 404 when missing or out of scope
        inside = {a.id for a in services.areas.list() if services.areas.within(a.id, area_id)}
        cameras = [c for c in cameras if c.area_id in inside]
    if enabled is not None:
        cameras = [c for c in cameras if c.enabled is enabled]
    if kind is not None:
        cameras = [c for c in cameras if c.kind == kind]
    return [VisibleCamera.of(c, services.access.flags(principal, c)) for c in cameras]


@router.post("", status_code=201)
def create_camera(
    body: CameraCreate,
    services: Services,
    principal: Annotated[Principal, Allow(Permission.MANAGE_CAMERAS)],
) -> CameraView:
    return services.admin.create_camera(principal, body)


@router.get("/{camera_id}")
def get_camera(
    camera_id: CameraId,
    services: Services,
    principal: Annotated[Principal, Allow(Permission.VIEW_MAP)],
) -> VisibleCamera:
    camera = services.access.camera(principal, Permission.VIEW_MAP, camera_id)
    return VisibleCamera.of(camera, services.access.flags(principal, camera))


@router.patch("/{camera_id}")
def update_camera(
    camera_id: CameraId,
    body: CameraUpdate,
    services: Services,
    principal: Annotated[Principal, Allow(Permission.MANAGE_CAMERAS)],
) -> CameraView:
    return services.admin.update_camera(principal, camera_id, body)


class ConsentChange(BaseModel):
    consent_tier: ConsentTier


@router.post("/{camera_id}/consent")
def set_consent(
    camera_id: CameraId,
    body: ConsentChange,
    services: Services,
    principal: Annotated[Principal, Allow(Permission.SET_CONSENT)],
) -> CameraView:
    """A household camera's owner (or an admin of its area) changes what it shares. Moving
    away from ``live`` stops every open live viewer of it and its recording."""
    return services.admin.set_consent(principal, camera_id, body.consent_tier)


@router.post("/{camera_id}/verify")
def verify_camera(
    camera_id: CameraId,
    services: Services,
    principal: Annotated[Principal, Allow(Permission.MANAGE_CAMERAS)],
) -> CameraView:
    """An admin of the area checked a camera an owner registered: it may now be pulled."""
    return services.admin.verify_camera(principal, camera_id)


@router.post("/{camera_id}/disable")
def disable_camera(
    camera_id: CameraId,
    services: Services,
    principal: Annotated[Principal, Allow(Permission.MANAGE_CAMERAS)],
) -> CameraView:
    return services.admin.set_enabled(principal, camera_id, False)


@router.post("/{camera_id}/enable")
def enable_camera(
    camera_id: CameraId,
    services: Services,
    principal: Annotated[Principal, Allow(Permission.MANAGE_CAMERAS)],
) -> CameraView:
    return services.admin.set_enabled(principal, camera_id, True)


@router.delete("/{camera_id}", status_code=204)
def delete_camera(
    camera_id: CameraId,
    services: Services,
    principal: Annotated[Principal, Allow(Permission.MANAGE_CAMERAS)],
) -> None:
    services.admin.delete_camera(principal, camera_id)


class ImportRowError(BaseModel):
    row: int
    name: str
    message: str

    @classmethod
    def of(cls, error: RowError) -> ImportRowError:
        return cls(row=error.row, name=error.name, message=error.message)


class ImportResult(BaseModel):
    imported: list[str]
    errors: list[ImportRowError]


@router.post(
    "/import",
    responses={
        413: {"description": "Body over 10 MB"},
        415: {"description": "Body is not text/csv"},
        422: {"description": "Rows with errors; nothing imported"},
    },
)
async def import_cameras(
    request: Request,
    services: Services,
    principal: Annotated[Principal, Allow(Permission.MANAGE_CAMERAS)],
    dry_run: bool = False,
) -> ImportResult:
    """Body is CSV text (UTF-8, ``Content-Type: text/csv``). All rows are checked; nothing is
    written unless all pass. Runs off the event loop: a large file never stalls other requests."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "text/csv":  # not a type a cross-site form can send
        raise HTTPException(415, "send the CSV as text/csv")
    raw = await _body_up_to(request, MAX_IMPORT_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(422, "CSV must be UTF-8 text") from None
    report = await run_in_threadpool(services.admin.import_cameras, principal, text, dry_run)
    result = ImportResult(
        imported=report.imported, errors=[ImportRowError.of(e) for e in report.errors]
    )
    if report.errors:
        raise HTTPException(422, result.model_dump())
    return result


async def _body_up_to(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the file is larger than {limit // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)
