"""The one gate in front of every route, page and socket: each declares the permission it
needs with ``Allow(Permission.X)`` (or ``Public()``), and the dependency turns the session into
a ``Principal`` and refuses what the role does not allow. A route that declares nothing fails
the route-table test (tests/integration/access/test_route_permissions.py).

Routes then ask the policy (``services.access``) about the objects they touch; the policy
answers 404 for out-of-scope objects and writes the audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, HTTPException, status
from starlette.requests import HTTPConnection

from wardeye.access.permissions import Permission
from wardeye.access.principal import Principal
from wardeye.api.auth import current_user_or_none
from wardeye.api.services import ApiServices

PERMISSION_ATTRIBUTE = "wardeye_permission"


def client_address(conn: HTTPConnection) -> str | None:
    return conn.client.host if conn.client else None


def principal_or_none(conn: HTTPConnection) -> Principal | None:
    """The signed-in principal of this request or socket, built once per request."""
    cached = getattr(conn.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    services: ApiServices = conn.app.state.services
    user = current_user_or_none(conn, services)
    if user is None:
        return None
    scopes = getattr(conn.state, "token_scopes", None)
    principal = services.access.principal_for(user, client_address(conn), scopes)
    conn.state.principal = principal
    return principal


def _declared(dependency: Callable[..., Any], permission: Permission) -> Any:
    setattr(dependency, PERMISSION_ATTRIBUTE, permission)
    return Depends(dependency)


def Allow(permission: Permission) -> Any:
    """Signed in, and the role has ``permission``; gives the route its ``Principal``."""

    def allowed(conn: HTTPConnection) -> Principal:
        principal = principal_or_none(conn)
        if principal is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "log in first")
        if not principal.can(permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"your role ({principal.role}) may not {permission}"
            )
        return principal

    return _declared(allowed, permission)


def AllowSocket(permission: Permission) -> Any:
    """For WebSockets: never refuses at the handshake (browsers then only see a failed
    connection); the route accepts and closes with 4401/4403 so the page can react."""

    def allowed(conn: HTTPConnection) -> Principal | None:
        return principal_or_none(conn)

    return _declared(allowed, permission)


def Public() -> Any:
    """No sign-in needed (login, liveness probe). Gives the principal if there is one."""

    def anyone(conn: HTTPConnection) -> Principal | None:
        return principal_or_none(conn)

    return _declared(anyone, Permission.PUBLIC)


def AllowPage(permission: Permission) -> Any:
    """For web pages: someone not signed in is sent to the login page instead of a 401."""

    def allowed(conn: HTTPConnection) -> Principal:
        principal = principal_or_none(conn)
        if principal is None:
            raise HTTPException(status.HTTP_303_SEE_OTHER, headers={"Location": "/login"})
        if not principal.can(permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"your role ({principal.role}) may not {permission}"
            )
        return principal

    return _declared(allowed, permission)
