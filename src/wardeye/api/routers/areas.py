"""Areas: the administrative tree cameras and users hang from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from wardeye.api.auth import CurrentUser, Services, require_role
from wardeye.registry.schemas import AreaCreate, AreaView, UserView

router = APIRouter(prefix="/api/areas", tags=["areas"])
Admin = Annotated[UserView, Depends(require_role("admin"))]


@router.get("")
def list_areas(services: Services, _: CurrentUser) -> list[AreaView]:
    return services.areas.list()


@router.post("", status_code=201)
def create_area(body: AreaCreate, services: Services, _: Admin) -> AreaView:
    return services.areas.create(body)


@router.get("/{area_id}")
def get_area(area_id: int, services: Services, _: CurrentUser) -> AreaView:
    return services.areas.get(area_id)
