"""Sessions and roles. A signed, HTTP-only session cookie holds the user id; each request
re-reads the user so a disabled account loses access at once."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel

from wardeye.api.services import ApiServices
from wardeye.registry.schemas import UserView

SESSION_USER_KEY = "uid"


def get_services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


Services = Annotated[ApiServices, Depends(get_services)]


def current_user_or_none(request: Request, services: Services) -> UserView | None:
    user_id = request.session.get(SESSION_USER_KEY)
    if not isinstance(user_id, int):
        return None
    user = services.users.get(user_id)
    if user is None or not user.active:
        request.session.clear()
        return None
    return user


def current_user(
    user: Annotated[UserView | None, Depends(current_user_or_none)],
) -> UserView:
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "log in first")
    return user


CurrentUser = Annotated[UserView, Depends(current_user)]


def require_role(*roles: str) -> Callable[..., Coroutine[Any, Any, UserView]]:
    async def check(user: CurrentUser) -> UserView:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs role: {', '.join(roles)}")
        return user

    return check


class Credentials(BaseModel):
    username: str
    password: str


router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login")
def login(body: Credentials, request: Request, services: Services) -> UserView:
    user = services.users.authenticate(body.username, body.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    request.session.clear()
    request.session[SESSION_USER_KEY] = user.id
    return user


@router.post("/logout", status_code=204)
def logout(request: Request) -> None:
    request.session.clear()


@router.get("/me")
def me(user: CurrentUser) -> UserView:
    return user
