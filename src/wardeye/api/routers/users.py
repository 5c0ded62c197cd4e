"""User administration (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from wardeye.api.auth import Services, require_role
from wardeye.registry.schemas import UserCreate, UserView

router = APIRouter(prefix="/api/users", tags=["users"])
Admin = Annotated[UserView, Depends(require_role("admin"))]


@router.get("")
def list_users(services: Services, _: Admin) -> list[UserView]:
    return services.users.list()


@router.post("", status_code=201)
def create_user(body: UserCreate, services: Services, _: Admin) -> UserView:
    return services.users.add(body)
