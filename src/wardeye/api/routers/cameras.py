"""Camera registry over HTTP. Stream credentials are stored but never returned."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel

from wardeye.api.auth import CurrentUser, Services, require_role
from wardeye.registry.camera_import import RowError
from wardeye.registry.schemas import CameraCreate, CameraUpdate, CameraView, UserView

router = APIRouter(prefix="/api/cameras", tags=["cameras"])
Admin = Annotated[UserView, Depends(require_role("admin"))]


def _scoped_area(services: Services, user: UserView, area_id: int | None) -> int | None:
    """Users bound to an area only ever see that area's subtree."""
    if user.area_id is None:
        return area_id
    if area_id is None:
        return user.area_id
    if not services.areas.within(area_id, user.area_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "that area is outside your own")
    return area_id


def _visible(services: Services, user: UserView, camera: CameraView) -> CameraView:
    if user.area_id is not None and not services.areas.within(camera.area_id, user.area_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no camera with id {camera.id}")
    return camera


@router.get("")
def list_cameras(
    services: Services,
    user: CurrentUser,
    area_id: Annotated[int | None, Query(description="Area; includes areas inside it.")] = None,
    enabled: bool | None = None,
    kind: Literal["public", "household"] | None = None,
) -> list[CameraView]:
    return services.cameras.list(_scoped_area(services, user, area_id), enabled, kind)


@router.post("", status_code=201)
def create_camera(body: CameraCreate, services: Services, user: Admin) -> CameraView:
    _scoped_area(services, user, body.area_id)
    return services.cameras.create(body)


@router.get("/{camera_id}")
def get_camera(camera_id: int, services: Services, user: CurrentUser) -> CameraView:
    return _visible(services, user, services.cameras.get(camera_id))


@router.patch("/{camera_id}")
def update_camera(
    camera_id: int, body: CameraUpdate, services: Services, user: Admin
) -> CameraView:
    _visible(services, user, services.cameras.get(camera_id))
    if body.area_id is not None:
        _scoped_area(services, user, body.area_id)
    return services.cameras.update(camera_id, body)


@router.post("/{camera_id}/disable")
def disable_camera(camera_id: int, services: Services, user: Admin) -> CameraView:
    _visible(services, user, services.cameras.get(camera_id))
    return services.cameras.set_enabled(camera_id, False)


@router.post("/{camera_id}/enable")
def enable_camera(camera_id: int, services: Services, user: Admin) -> CameraView:
    _visible(services, user, services.cameras.get(camera_id))
    return services.cameras.set_enabled(camera_id, True)


@router.delete("/{camera_id}", status_code=204)
def delete_camera(camera_id: int, services: Services, user: Admin) -> None:
    _visible(services, user, services.cameras.get(camera_id))
    services.cameras.delete(camera_id)


class ImportResult(BaseModel):
    imported: list[str]
    errors: list[dict[str, object]]


@router.post("/import", responses={422: {"description": "Rows with errors; nothing imported"}})
async def import_cameras(
    request: Request, services: Services, _: Admin, dry_run: bool = False
) -> ImportResult:
    """Body is CSV text (UTF-8). All rows are checked; nothing is written unless all pass."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(422, "CSV must be UTF-8 text") from None
    report = services.importer.import_csv(text, dry_run=dry_run)
    result = ImportResult(imported=report.imported, errors=[_row(e) for e in report.errors])
    if report.errors:
        raise HTTPException(422, result.model_dump())
    return result


def _row(error: RowError) -> dict[str, object]:
    return {"row": error.row, "name": error.name, "message": error.message}
