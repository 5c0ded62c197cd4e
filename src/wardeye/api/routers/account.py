"""Signing in and out (``/api/auth``), a person's own sessions, second factor and API tokens
(``/api/account``), and what admins do about other people's: unlock after a lockout, revoke
sessions (one user's, or everyone's for an unbound admin), reset a lost second factor, manage
an integration's tokens. Targets outside the admin's areas answer 404, like everywhere else."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from wardeye.access.permissions import Permission, permissions_of
from wardeye.access.principal import Principal
from wardeye.api.auth import (
    Services,
    Signin,
    SignInRefused,
    SignInStatus,
    SignInStep,
    begin_enrolment,
    clear_session_cookie,
    second_factor_required,
    set_session_cookie,
    sign_in_code,
    sign_in_password,
    sign_out,
)
from wardeye.api.guard import Allow, Public
from wardeye.api.params import UserId
from wardeye.api.services import ApiServices
from wardeye.audit.records import AuditAction, DetailValue
from wardeye.core.bounds import MAX_KEY, check_instant
from wardeye.core.clock import utc_now
from wardeye.core.errors import Forbidden, InvalidInput, NotFound
from wardeye.registry.schemas import UserView
from wardeye.signin.schemas import SessionView, TokenView, TotpEnrolment
from wardeye.signin.services import SigninServices

SessionId = Annotated[int, Path(ge=1, le=MAX_KEY, description="Session id.")]
TokenId = Annotated[int, Path(ge=1, le=MAX_KEY, description="API token id.")]
Anyone = Annotated[Principal | None, Public()]
Me = Annotated[Principal, Allow(Permission.SIGNED_IN)]
Admin = Annotated[Principal, Allow(Permission.MANAGE_USERS)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Credentials(Strict):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1024)


class Code(Strict):
    code: str = Field(max_length=16, description="The 6-digit code the authenticator app shows.")


class Refused(BaseModel):
    detail: str


class LoginAnswer(BaseModel):
    """``signed_in``: the cookie now authenticates. ``second_factor_required``: send the code
    to POST /api/auth/totp. ``enrolment_required``: the account's role needs a second factor:
    POST /api/auth/totp/enrol gives the secret, then POST /api/auth/totp its first code."""

    status: SignInStatus
    user: UserView | None = Field(None, description="Set once signed in.")


class SecondFactorStatus(BaseModel):
    enabled: bool
    required: bool = Field(description="The site's policy requires one for this role.")


class LockoutView(BaseModel):
    user_id: int
    username: str
    locked: bool
    locked_until: datetime | None
    failures: int = Field(description="Failed sign-ins counted for this account name.")


class RevokedSessions(BaseModel):
    revoked: int = Field(description="How many open sessions were ended.")


class TokenCreate(Strict):
    name: str = Field(min_length=1, max_length=100, description="What the token is for.")
    scopes: list[Permission] = Field(
        min_length=1, max_length=len(Permission),
        description="Permissions the token may use: a subset of what the user's role allows.",
    )  # fmt: skip
    expires_at: Annotated[datetime, AfterValidator(check_instant)] = Field(
        description="When the token stops working (at most signin.token_max_days ahead)."
    )


class TokenCreated(BaseModel):
    token: TokenView
    secret: str = Field(description="The token itself, shown this once: `Authorization: Bearer`.")


REFUSED: dict[int | str, dict[str, object]] = {
    401: {"model": Refused},
    429: {"model": Refused, "description": "Throttled; the Retry-After header says for how long"},
}

auth_router = APIRouter(prefix="/api/auth", tags=["auth"])
router = APIRouter(tags=["account"])


# -- signing in -------------------------------------------------------------------------------


def _http(exc: SignInRefused) -> HTTPException:
    if exc.retry_after is None:
        return HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc))
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS, str(exc), headers={"Retry-After": str(exc.retry_after)}
    )


def _answer(
    step: SignInStep, response: Response, services: ApiServices, signin: SigninServices
) -> LoginAnswer:
    set_session_cookie(response, step.session_token, services, signin)
    return LoginAnswer(status=step.status, user=step.user if step.status == "signed_in" else None)


@auth_router.post("/login", responses=REFUSED)
def login(
    body: Credentials,
    request: Request,
    response: Response,
    services: Services,
    signin: Signin,
    _: Anyone,
) -> LoginAnswer:
    """Password step. 401 for a wrong name or password alike; 429 (Retry-After) when this
    account name or this client address has failed too often."""
    try:
        step = sign_in_password(request, services, signin, body.username, body.password)
    except SignInRefused as exc:
        raise _http(exc) from None
    return _answer(step, response, services, signin)


@auth_router.post("/totp", responses=REFUSED)
def login_code(
    body: Code, request: Request, response: Response, services: Services, signin: Signin,
    _: Anyone,
) -> LoginAnswer:  # fmt: skip
    """Second step: the authenticator's code (or, at enrolment, its first code)."""
    try:
        step = sign_in_code(request, services, signin, body.code)
    except SignInRefused as exc:
        raise _http(exc) from None
    return _answer(step, response, services, signin)


@auth_router.post("/totp/enrol", responses={401: {"model": Refused}})
def login_enrol(request: Request, services: Services, signin: Signin, _: Anyone) -> TotpEnrolment:
    """For an account that must have a second factor and has none: the secret, shown once.
    Then send its first code to POST /api/auth/totp."""
    try:
        return begin_enrolment(request, services, signin)
    except SignInRefused as exc:
        raise _http(exc) from None


@auth_router.post("/logout", status_code=204)
def logout(
    request: Request, response: Response, services: Services, signin: Signin, _: Anyone
) -> None:
    """Ends the session on the server: the cookie stops working everywhere at once."""
    sign_out(request, services, signin)
    clear_session_cookie(response, services)


@auth_router.get("/me")
def me(services: Services, principal: Me) -> UserView:
    user = services.users.get(principal.user_id) if principal.user_id is not None else None
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "log in first")
    return user


# -- one's own account ------------------------------------------------------------------------


def _password_session(principal: Principal) -> None:
    """Tokens cannot manage credentials: a token must never mint a wider one."""
    if principal.token_scopes is not None:
        raise Forbidden("sign in with your password to manage tokens and second factors")


def _record(
    services: ApiServices,
    principal: Principal,
    action: AuditAction,
    object_type: str,
    object_id: int,
    **detail: DetailValue,
) -> None:
    services.access.record(principal, action, "ok", object_type=object_type,
                           object_id=str(object_id), detail=detail)  # fmt: skip


def _own_user(services: ApiServices, principal: Principal) -> UserView:
    user = services.users.get(principal.user_id) if principal.user_id is not None else None
    if user is None:
        raise NotFound("no such user")
    return user


def _status(signin: SigninServices, user: UserView) -> SecondFactorStatus:
    return SecondFactorStatus(
        enabled=signin.second_factor.enabled(user.id),
        required=second_factor_required(signin.config, user.role),
    )


@router.get("/api/account/sessions")
def my_sessions(request: Request, services: Services, signin: Signin, me: Me) -> list[SessionView]:
    user = _own_user(services, me)
    return signin.sessions.list_for(user.id, getattr(request.state, "session_id", None))


@router.delete("/api/account/sessions/{session_id}", status_code=204)
def end_my_session(session_id: SessionId, services: Services, signin: Signin, me: Me) -> None:
    user = _own_user(services, me)
    if not signin.sessions.revoke_session(user.id, session_id):
        raise NotFound(f"no session with id {session_id}")
    _record(services, me, AuditAction.SESSION_REVOKE, "session", session_id, user_id=user.id)


@router.get("/api/account/totp")
def my_second_factor(services: Services, signin: Signin, me: Me) -> SecondFactorStatus:
    return _status(signin, _own_user(services, me))


@router.post("/api/account/totp")
def enrol_second_factor(services: Services, signin: Signin, me: Me) -> TotpEnrolment:
    """A new secret, shown this once; it counts once confirmed with a code."""
    _password_session(me)
    user = _own_user(services, me)
    return signin.second_factor.begin(user.id, user.username)


@router.post("/api/account/totp/confirm")
def confirm_second_factor(
    body: Code, services: Services, signin: Signin, me: Me
) -> SecondFactorStatus:
    _password_session(me)
    user = _own_user(services, me)
    if not signin.second_factor.confirm(user.id, body.code):
        raise InvalidInput("wrong code (or no enrolment started)", field="code")
    _record(services, me, AuditAction.USER_CHANGE, "user", user.id, op="totp_enrol")
    return _status(signin, user)


@router.post("/api/account/totp/remove")
def remove_second_factor(
    body: Code, services: Services, signin: Signin, me: Me
) -> SecondFactorStatus:
    """Turn the second factor off (with a current code); refused where the policy needs it."""
    _password_session(me)
    user = _own_user(services, me)
    if second_factor_required(signin.config, user.role):
        raise Forbidden(f"accounts with role {user.role} must keep a second factor")
    if not signin.second_factor.verify(user.id, body.code):
        raise InvalidInput("wrong or already used code", field="code")
    signin.second_factor.remove(user.id)
    _record(services, me, AuditAction.USER_CHANGE, "user", user.id, op="totp_remove")
    return _status(signin, user)


def _new_token(
    services: ApiServices,
    signin: SigninServices,
    principal: Principal,
    user: UserView,
    body: TokenCreate,
) -> TokenCreated:
    """Scopes are what the user's role allows, and (made by someone else) what the maker
    may do themselves: an admin cannot hand out through a token a right they lack."""
    allowed = permissions_of(user.role) - {Permission.PUBLIC}
    if principal.user_id != user.id:
        allowed &= principal.permissions
    wanted = set(body.scopes)
    beyond = sorted(p.value for p in wanted - allowed)
    if beyond:
        raise Forbidden(f"a token for {user.username} cannot have: {', '.join(beyond)}")
    if body.expires_at > utc_now() + timedelta(days=signin.config.token_max_days):
        raise InvalidInput(
            f"a token may last at most {signin.config.token_max_days:g} days", field="expires_at"
        )
    view, secret = signin.tokens.create(user.id, body.name, (p.value for p in wanted),
                                        body.expires_at, principal.user_id)  # fmt: skip
    _record(services, principal, AuditAction.TOKEN_CHANGE, "token", view.id, op="create",
            user_id=user.id, scopes=" ".join(view.scopes),
            expires_at=view.expires_at.isoformat())  # fmt: skip
    return TokenCreated(token=view, secret=secret)


def _revoke_token(
    services: ApiServices, signin: SigninServices, principal: Principal, user: UserView,
    token_id: int,
) -> TokenView:  # fmt: skip
    if signin.tokens.get(token_id).user_id != user.id:
        raise NotFound(f"no token with id {token_id}")
    view = signin.tokens.revoke(token_id)
    _record(services, principal, AuditAction.TOKEN_CHANGE, "token", token_id, op="revoke",
            user_id=user.id)  # fmt: skip
    return view


@router.get("/api/account/tokens")
def my_tokens(services: Services, signin: Signin, me: Me) -> list[TokenView]:
    return signin.tokens.list_for(_own_user(services, me).id)


@router.post("/api/account/tokens", status_code=201)
def create_my_token(body: TokenCreate, services: Services, signin: Signin, me: Me) -> TokenCreated:
    _password_session(me)
    return _new_token(services, signin, me, _own_user(services, me), body)


@router.delete("/api/account/tokens/{token_id}")
def revoke_my_token(token_id: TokenId, services: Services, signin: Signin, me: Me) -> TokenView:
    _password_session(me)
    return _revoke_token(services, signin, me, _own_user(services, me), token_id)


# -- admins, for the users in their areas -----------------------------------------------------


def _lockout(signin: SigninServices, user: UserView) -> LockoutView:
    state = signin.throttle.state(user.username)
    locked = state.locked_until is not None and state.locked_until > utc_now()
    return LockoutView(user_id=user.id, username=user.username, locked=locked,
                       locked_until=state.locked_until if locked else None,
                       failures=state.failures)  # fmt: skip


@router.get("/api/users/{user_id}/lockout")
def user_lockout(user_id: UserId, services: Services, signin: Signin, admin: Admin) -> LockoutView:
    return _lockout(signin, services.admin.user(admin, user_id))


@router.post("/api/users/{user_id}/unlock")
def unlock_user(user_id: UserId, services: Services, signin: Signin, admin: Admin) -> LockoutView:
    """Lift a lockout (and forget the failed sign-ins) of this account name."""
    user = services.access.require_user(admin, services.admin.user(admin, user_id))
    was_locked = _lockout(signin, user).locked
    signin.throttle.unlock_account(user.username)
    _record(services, admin, AuditAction.UNLOCK, "user", user.id, username=user.username,
            was_locked=was_locked)  # fmt: skip
    return _lockout(signin, user)


@router.get("/api/users/{user_id}/sessions")
def user_sessions(
    user_id: UserId, services: Services, signin: Signin, admin: Admin
) -> list[SessionView]:
    return signin.sessions.list_for(services.admin.user(admin, user_id).id)


@router.delete("/api/users/{user_id}/sessions")
def revoke_user_sessions(
    user_id: UserId, services: Services, signin: Signin, admin: Admin
) -> RevokedSessions:
    """Sign this user out everywhere."""
    user = services.admin.user(admin, user_id)
    revoked = signin.sessions.revoke_user(user.id, "revoked")
    _record(services, admin, AuditAction.SESSION_REVOKE, "user", user.id, revoked=revoked)
    return RevokedSessions(revoked=revoked)


@router.delete("/api/sessions")
def revoke_all_sessions(services: Services, signin: Signin, admin: Admin) -> RevokedSessions:
    """Sign everyone out, this admin included. Only for an admin bound to no area."""
    if admin.area_ids is not None:
        raise Forbidden("only an admin of every area can sign everyone out")
    revoked = signin.sessions.revoke_all("revoked")
    services.access.record(admin, AuditAction.SESSION_REVOKE, "ok", object_type="site",
                           object_id="all", detail={"revoked": revoked})  # fmt: skip
    return RevokedSessions(revoked=revoked)


@router.delete("/api/users/{user_id}/totp")
def reset_user_second_factor(
    user_id: UserId, services: Services, signin: Signin, admin: Admin
) -> SecondFactorStatus:
    """For a lost phone: the user enrols again at their next sign-in (if their role must)."""
    user = services.admin.user(admin, user_id)
    removed = signin.second_factor.remove(user.id)
    _record(services, admin, AuditAction.USER_CHANGE, "user", user.id, op="totp_reset",
            removed=removed)  # fmt: skip
    return _status(signin, user)


@router.get("/api/users/{user_id}/tokens")
def user_tokens(
    user_id: UserId, services: Services, signin: Signin, admin: Admin
) -> list[TokenView]:
    return signin.tokens.list_for(services.admin.user(admin, user_id).id)


@router.post("/api/users/{user_id}/tokens", status_code=201)
def create_user_token(
    user_id: UserId, body: TokenCreate, services: Services, signin: Signin, admin: Admin
) -> TokenCreated:
    """A token for an integration acting as this user."""
    _password_session(admin)
    return _new_token(services, signin, admin, services.admin.user(admin, user_id), body)


@router.delete("/api/users/{user_id}/tokens/{token_id}")
def revoke_user_token(
    user_id: UserId, token_id: TokenId, services: Services, signin: Signin, admin: Admin
) -> TokenView:
    return _revoke_token(services, signin, admin, services.admin.user(admin, user_id), token_id)
