"""Who is asking, and signing in. A request is authenticated by ``Authorization: Bearer`` (an
API token, narrowed to its scopes) or by the session cookie (a random id checked against the
server-side session table); the user is re-read each time, so a disabled account loses access
at once. Signing in is throttled per account name and client address, and takes a TOTP code
after the password when the account has one (or must, by policy). The web login page goes
through the same functions as the API, so both doors obey the same rules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import Depends, Request, Response
from starlette.requests import HTTPConnection

from wardeye.access.permissions import Permission, needs_second_factor
from wardeye.access.principal import Principal
from wardeye.api.services import ApiServices
from wardeye.audit.records import AuditAction, DetailValue
from wardeye.config.models import SigninConfig
from wardeye.registry.schemas import UserView
from wardeye.signin.schemas import TotpEnrolment
from wardeye.signin.services import SigninServices
from wardeye.signin.sessions import SESSION_COOKIE as SESSION_COOKIE  # re-exported
from wardeye.signin.throttle import Lockout, Refusal

WRONG_CREDENTIALS = "wrong username or password"
WRONG_CODE = "wrong or already used code"


def get_services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


def get_signin(conn: HTTPConnection) -> SigninServices:
    signin: SigninServices = conn.app.state.signin
    return signin


Services = Annotated[ApiServices, Depends(get_services)]
Signin = Annotated[SigninServices, Depends(get_signin)]


def _address(conn: HTTPConnection) -> str | None:
    return conn.client.host if conn.client else None


# -- who is asking ----------------------------------------------------------------------------


def current_user_or_none(conn: HTTPConnection, services: ApiServices) -> UserView | None:
    """The user behind this request or socket, or None. A bearer token sets
    ``conn.state.token_scopes`` (its permissions) and never falls back to the cookie."""
    signin = get_signin(conn)
    authorization = conn.headers.get("authorization")
    if authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        bearer = scheme.lower() == "bearer"
        grant = signin.tokens.authenticate(credentials.strip()) if bearer else None
        if grant is None:
            return None
        user = services.users.get(grant.user_id)
        if user is None or not user.active:
            return None
        known = {p.value for p in Permission}
        conn.state.token_scopes = frozenset(Permission(s) for s in grant.scopes if s in known)
        conn.state.token_id = grant.token_id
        return user
    token = conn.cookies.get(SESSION_COOKIE)
    active = signin.sessions.find(token) if token else None
    if active is None or active.stage != "full":
        return None
    user = services.users.get(active.user_id)
    if user is None or not user.active:
        return None
    conn.state.session_id = active.id
    return user


def second_factor_required(config: SigninConfig, role: str) -> bool:
    """The site's policy: roles that can export or unmask (default), everyone, or nobody."""
    if config.second_factor == "everyone":
        return True
    if config.second_factor == "optional":
        return False
    return needs_second_factor(role)


# -- the sign-in flow (API and web login page) ------------------------------------------------

SignInStatus = Literal["signed_in", "second_factor_required", "enrolment_required"]


@dataclass(frozen=True)
class SignInStep:
    status: SignInStatus
    user: UserView
    session_token: str  # goes into the cookie


class SignInRefused(Exception):
    """Wrong credentials (``retry_after`` None) or throttled: try again in ``retry_after`` s.
    The message is the same whether or not the account exists."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _throttled(refusal: Refusal) -> SignInRefused:
    wait = max(1, math.ceil(refusal.retry_after))
    what = "sign-in is locked" if refusal.locked else "too many failed sign-ins"
    return SignInRefused(f"{what}: try again in {wait} s", retry_after=wait)


def _record_failure(
    services: ApiServices,
    signin: SigninServices,
    username: str,
    address: str | None,
    step: str,
    principal: Principal | None = None,
) -> None:
    lockouts = signin.throttle.failed(username, address)
    services.access.record(principal, AuditAction.SIGN_IN, "failed", object_type="user",
                           object_id=username[:64],
                           detail={"client_address": address, "step": step})  # fmt: skip
    for lockout in lockouts:
        _record_lockout(services, lockout, username, address)


def _record_lockout(
    services: ApiServices, lockout: Lockout, username: str, address: str | None
) -> None:
    account = lockout.kind == "account"
    detail: dict[str, DetailValue] = {
        "client_address": address, "failures": lockout.failures,
        "until": lockout.until.isoformat(), "kind": lockout.kind,
    }  # fmt: skip
    services.access.record(None, AuditAction.LOCKOUT, "ok",
                           object_type="user" if account else "client_address",
                           object_id=(username if account else address or "unknown")[:64],
                           detail=detail)  # fmt: skip


def _signed_in(
    conn: HTTPConnection, services: ApiServices, signin: SigninServices, user: UserView, how: str
) -> None:
    signin.throttle.succeeded(user.username, _address(conn))
    principal = services.access.principal_for(user, _address(conn))
    services.access.record(principal, AuditAction.SIGN_IN, "ok", object_type="user",
                           object_id=str(user.id), detail={"second_factor": how})  # fmt: skip


def sign_in_password(
    conn: HTTPConnection,
    services: ApiServices,
    signin: SigninServices,
    username: str,
    password: str,
) -> SignInStep:
    """Step one. Raises ``SignInRefused``; a throttled try is refused before the password is
    looked at, and an unknown name costs the same work and gets the same answer."""
    address = _address(conn)
    refusal = signin.throttle.admit(username, address)
    if refusal is not None:
        raise _throttled(refusal)
    user = services.users.authenticate(username, password)
    if user is None:
        _record_failure(services, signin, username, address, "password")
        raise SignInRefused(WRONG_CREDENTIALS)
    _end_cookie_session(conn, signin, "replaced")
    agent = conn.headers.get("user-agent")
    if signin.second_factor.enabled(user.id):
        signin.throttle.passed(username, address)
        token = signin.sessions.create(user.id, "second_factor", address, agent)
        return SignInStep("second_factor_required", user, token)
    if second_factor_required(signin.config, user.role):
        signin.throttle.passed(username, address)
        token = signin.sessions.create(user.id, "enrol", address, agent)
        return SignInStep("enrolment_required", user, token)
    _signed_in(conn, services, signin, user, "none")
    return SignInStep("signed_in", user, signin.sessions.create(user.id, "full", address, agent))


def _pending(
    conn: HTTPConnection, services: ApiServices, signin: SigninServices
) -> tuple[str, UserView, str]:
    """The half-way session of this browser: (cookie, user, stage)."""
    token = conn.cookies.get(SESSION_COOKIE) or ""
    active = signin.sessions.find(token) if token else None
    user = services.users.get(active.user_id) if active is not None else None
    if active is None or active.stage == "full" or user is None or not user.active:
        raise SignInRefused("sign in with your password first")
    return token, user, active.stage


def begin_enrolment(
    conn: HTTPConnection, services: ApiServices, signin: SigninServices
) -> TotpEnrolment:
    """A user whose role needs a second factor and has none yet sets one up at sign-in."""
    _, user, stage = _pending(conn, services, signin)
    if stage != "enrol":
        raise SignInRefused("this account already has a second factor")
    window = timedelta(seconds=signin.config.second_factor_step_seconds)
    return signin.second_factor.begin(user.id, user.username, reuse_within=window)


def sign_in_code(
    conn: HTTPConnection, services: ApiServices, signin: SigninServices, code: str
) -> SignInStep:
    """Step two: the code from the authenticator app (or, at enrolment, its first code).
    Wrong codes count as failed sign-ins, so the code cannot be guessed either."""
    token, user, stage = _pending(conn, services, signin)
    address = _address(conn)
    refusal = signin.throttle.admit(user.username, address)
    if refusal is not None:
        raise _throttled(refusal)
    if stage == "enrol":
        accepted = signin.second_factor.confirm(user.id, code)
    else:
        accepted = signin.second_factor.verify(user.id, code)
    if not accepted:
        principal = services.access.principal_for(user, address)
        _record_failure(services, signin, user.username, address, "second_factor", principal)
        raise SignInRefused(WRONG_CODE)
    if stage == "enrol":
        principal = services.access.principal_for(user, address)
        services.access.record(principal, AuditAction.USER_CHANGE, "ok", object_type="user",
                               object_id=str(user.id), detail={"op": "totp_enrol"})  # fmt: skip
    fresh = signin.sessions.promote(token)
    if fresh is None:
        raise SignInRefused("sign in with your password first")
    _signed_in(conn, services, signin, user, "totp")
    return SignInStep("signed_in", user, fresh)


def _end_cookie_session(conn: HTTPConnection, signin: SigninServices, reason: str) -> None:
    token = conn.cookies.get(SESSION_COOKIE)
    if token:
        signin.sessions.revoke(token, reason)


def sign_out(conn: HTTPConnection, services: ApiServices, signin: SigninServices) -> None:
    """Ends the session server-side: the old cookie is worthless from now on."""
    token = conn.cookies.get(SESSION_COOKIE)
    ended = signin.sessions.revoke(token, "sign_out") if token else None
    if ended is not None and ended.stage == "full":
        user = services.users.get(ended.user_id)
        if user is not None:
            principal = services.access.principal_for(user, _address(conn))
            services.access.record(principal, AuditAction.SIGN_OUT, "ok", object_type="user",
                                   object_id=str(user.id))  # fmt: skip


def set_session_cookie(
    response: Response, token: str, services: ApiServices, signin: SigninServices
) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(signin.config.session_absolute_seconds), path="/",
        httponly=True, samesite="strict", secure=services.secure_cookies,
    )  # fmt: skip


def clear_session_cookie(response: Response, services: ApiServices) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=services.secure_cookies)  # fmt: skip
