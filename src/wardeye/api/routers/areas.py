"""Areas: the administrative tree cameras and users hang from. A principal bound to areas
sees only their own subtrees; other areas answer 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from wardeye.access.permissions import Permission
from wardeye.access.principal import Principal
from wardeye.api.auth import Services
from wardeye.api.guard import Allow
from wardeye.api.params import AreaId
from wardeye.registry.schemas import AreaCreate, AreaView

router = APIRouter(prefix="/api/areas", tags=["areas"])


@router.get("")
def list_areas(
    services: Services, principal: Annotated[Principal, Allow(Permission.VIEW_MAP)]
) -> list[AreaView]:
    return services.admin.areas(principal)


@router.post("", status_code=201)
def create_area(
    body: AreaCreate,
    services: Services,
    principal: Annotated[Principal, Allow(Permission.MANAGE_AREAS)],
) -> AreaView:
    return services.admin.create_area(principal, body)


@router.get("/{area_id}")
def get_area(
    area_id: AreaId,
    services: Services,
    principal: Annotated[Principal, Allow(Permission.VIEW_MAP)],
) -> AreaView:
    return services.admin.area(principal, area_id)
