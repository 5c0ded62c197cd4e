"""User administration: admins manage the accounts bound inside their own areas (an unbound
admin manages everyone). Other accounts answer 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from wardeye.access.permissions import ROLE_DESCRIPTIONS, ROLE_PERMISSIONS, Permission, Role
from wardeye.access.principal import Principal
from wardeye.api.auth import Services
from wardeye.api.guard import Allow
from wardeye.api.params import UserId
from wardeye.registry.schemas import PasswordReset, UserCreate, UserUpdate, UserView

router = APIRouter(prefix="/api/users", tags=["users"])
Admin = Annotated[Principal, Allow(Permission.MANAGE_USERS)]


class RoleView(BaseModel):
    name: str
    description: str
    permissions: list[str]


@router.get("")
def list_users(services: Services, principal: Admin) -> list[UserView]:
    return services.admin.users(principal)


@router.get("/roles")
def list_roles(_: Admin) -> list[RoleView]:
    """The permission table: what each role may do."""
    return [
        RoleView(
            name=r.value,
            description=ROLE_DESCRIPTIONS[r],
            permissions=sorted(p.value for p in ROLE_PERMISSIONS[r]),
        )
        for r in Role
    ]


@router.post("", status_code=201)
def create_user(body: UserCreate, services: Services, principal: Admin) -> UserView:
    return services.admin.create_user(principal, body)


@router.get("/{user_id}")
def get_user(user_id: UserId, services: Services, principal: Admin) -> UserView:
    return services.admin.user(principal, user_id)


@router.patch("/{user_id}")
def update_user(
    user_id: UserId, body: UserUpdate, services: Services, principal: Admin
) -> UserView:
    """Role, areas, display name, disable/enable. Disabling or changing the role ends the
    user's sessions."""
    return services.admin.update_user(principal, user_id, body)


@router.post("/{user_id}/password")
def reset_password(
    user_id: UserId, body: PasswordReset, services: Services, principal: Admin
) -> UserView:
    """Set a new password (ends the user's sessions)."""
    return services.admin.reset_password(principal, user_id, body.password)
