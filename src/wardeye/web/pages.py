"""The pages people open: login, map, live grid and single view, playback, analytics events,
camera health, the camera list. Server-rendered shells; the moving parts are plain JS modules
in static/js that call the API. Nothing is loaded from outside the box (front-end packages come
from npm at setup into static/vendor)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from wardeye.access.permissions import Permission, Role
from wardeye.access.principal import Principal
from wardeye.api.auth import (
    SESSION_COOKIE,
    WRONG_CODE,
    WRONG_CREDENTIALS,
    Services,
    Signin,
    SignInRefused,
    begin_enrolment,
    clear_session_cookie,
    set_session_cookie,
    sign_in_code,
    sign_in_password,
    sign_out,
)
from wardeye.api.guard import Allow, AllowPage, Public
from wardeye.api.services import ApiServices
from wardeye.audit.records import AuditAction
from wardeye.catalog.models import EVENT_KINDS
from wardeye.config.models import MapConfig
from wardeye.web.i18n import STRINGS, pick_language
from wardeye.web.timefmt import format_local

WEB_DIR = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(WEB_DIR / "templates"))
TEMPLATES.env.filters["local"] = format_local
router = APIRouter(include_in_schema=False)
YEAR = 365 * 86400


def _language(request: Request) -> str:
    requested = request.query_params.get("lang") or request.cookies.get("lang")
    return pick_language(requested)


def viewer_zone(request: Request, default: str) -> str:
    """The viewer's chosen zone (``?tz=`` or the cookie it sets), else the site's zone."""
    for wanted in (request.query_params.get("tz"), request.cookies.get("tz")):
        if wanted:
            try:
                ZoneInfo(wanted)
                return wanted
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return default


def _render(
    request: Request, name: str, services: ApiServices, page: str = "", **context: Any
) -> HTMLResponse:
    lang = _language(request)
    zone = viewer_zone(request, services.timezone)
    user: Principal | None = context.get("user")
    client = {
        "lang": lang,
        "tz": zone,
        "page": page,
        "strings": STRINGS[lang],
        "user": None if user is None else _client_user(user),
        **context.pop("client", {}),
    }
    response = TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "t": STRINGS[lang],
            "lang": lang,
            "tz": zone,
            "page": page,
            "site_name": services.site_name,
            "can": {p.value for p in user.permissions} if user else set(),
            # Inside <script>, "<!--", "</script" or U+2028 end or bend the data: JSON
            # escapes keep every one of them out of the page (and out of the parser's reach).
            "client_json": json.dumps(client, ensure_ascii=False)
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
            .replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029"),
            **context,
        },
    )
    if request.query_params.get("lang") in STRINGS:
        response.set_cookie("lang", lang, samesite="strict", max_age=YEAR)
    if request.query_params.get("tz") == zone:
        response.set_cookie("tz", zone, samesite="strict", max_age=YEAR)
    return response


@router.get("/login")
def login_page(
    request: Request, services: Services, signin: Signin, _: Annotated[Principal | None, Public()]
) -> Response:
    """The password form, or (half-way through signing in) the code form or the enrolment."""
    token = request.cookies.get(SESSION_COOKIE)
    pending = signin.sessions.find(token) if token else None
    step = "password" if pending is None or pending.stage == "full" else pending.stage
    extra: dict[str, Any] = {}
    if step == "enrol":
        try:
            enrolment = begin_enrolment(request, services, signin)
            extra = {"secret": enrolment.secret, "uri": enrolment.uri}
        except SignInRefused:
            step = "password"
    return _render(request, "login.html", services, page="login", step=step, **extra)


@router.post("/login")
def login_form(
    request: Request,
    services: Services,
    signin: Signin,
    _: Annotated[Principal | None, Public()],
    step: Annotated[str, Form(max_length=16)] = "password",
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Both steps of signing in, through the same functions as the API. A refusal shows the
    same step again (a wrong code, a wait) or the password form (the half-way session ended)."""
    try:
        if step == "password":
            done = sign_in_password(request, services, signin, username, password)
        else:
            done = sign_in_code(request, services, signin, code)
    except SignInRefused as refused:
        known = str(refused) in (WRONG_CREDENTIALS, WRONG_CODE) or refused.retry_after
        again = step if step in ("code", "enrol") and known else "password"
        extra: dict[str, Any] = {}
        if again == "enrol":
            enrolment = begin_enrolment(request, services, signin)
            extra = {"secret": enrolment.secret, "uri": enrolment.uri}
        page = _render(
            request,
            "login.html",
            services,
            page="login",
            step=again,
            error="code" if str(refused) == WRONG_CODE else "login",
            wait=refused.retry_after,
            **extra,
        )
        page.status_code = 401 if refused.retry_after is None else 429
        if refused.retry_after is not None:
            page.headers["Retry-After"] = str(refused.retry_after)
        return page
    response = RedirectResponse("/" if done.status == "signed_in" else "/login", status_code=303)
    set_session_cookie(response, done.session_token, services, signin)
    return response


@router.post("/logout")
def logout_form(
    request: Request, services: Services, signin: Signin, _: Annotated[Principal | None, Public()]
) -> Response:
    sign_out(request, services, signin)
    request.session.clear()
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, services)
    return response


def _client_user(principal: Principal) -> dict[str, Any]:
    """What the page's scripts may know of the viewer: name, role and what it may do."""
    allowed = sorted(p.value for p in principal.permissions)
    return {"name": principal.username, "role": principal.role, "permissions": allowed}


def _states(services: ApiServices) -> dict[int, str]:
    states: dict[int, str] = {}
    for health in services.camera_health():
        if health.stream == "main":
            states[health.camera_id] = health.state
    return states


def _page(
    request: Request,
    services: ApiServices,
    principal: Principal,
    template: str,
    page: str,
    **extra: Any,
) -> Response:
    """A page for a signed-in principal, with the cameras they may see and, per camera, what
    they may do (flags precomputed by the access policy; templates never re-derive it)."""
    cameras = services.access.cameras(principal, Permission.VIEW_MAP)
    flags = {c.id: services.access.flags(principal, c) for c in cameras}
    return _render(
        request,
        template,
        services,
        page=page,
        user=principal,
        cameras=cameras,
        flags=flags,
        states=_states(services),
        **extra,
    )


@router.get("/")
def map_page(
    request: Request,
    services: Services,
    principal: Annotated[Principal, AllowPage(Permission.VIEW_MAP)],
) -> Response:
    """Home: the map of cameras with their status, and the same cameras as a list."""
    areas = [
        {"id": a.id, "name": a.name, "parent_id": a.parent_id}
        for a in services.admin.areas(principal)
    ]
    return _page(
        request,
        services,
        principal,
        "map.html",
        "map",
        client={"map": services.map_settings, "areas": areas},
    )


def map_settings(config: MapConfig) -> dict[str, Any]:
    """What the map page's script needs (never a file path)."""
    overlay = config.overlay_image is not None and config.overlay_bounds is not None
    return {
        "tile_url": config.tile_url,
        "attribution": config.tile_attribution,
        "max_zoom": config.max_zoom,
        "overlay_url": "/map/overlay" if overlay else None,
        "overlay_bounds": config.overlay_bounds if overlay else None,
        "center": config.center,
        "zoom": config.zoom,
    }


@router.get("/map/overlay")
def map_overlay(
    services: Services, _: Annotated[Principal, Allow(Permission.VIEW_MAP)]
) -> Response:
    path = services.map_overlay
    if path is None or not path.is_file():
        return Response(status_code=404)
    return FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/live")
def live_page(
    request: Request,
    services: Services,
    principal: Annotated[Principal, AllowPage(Permission.VIEW_LIVE)],
) -> Response:
    """Grid of several cameras (sub streams), or one camera (main stream) with ?camera=ID."""
    return _page(request, services, principal, "live.html", "live")


@router.get("/playback")
def playback_page(
    request: Request,
    services: Services,
    principal: Annotated[Principal, AllowPage(Permission.VIEW_RECORDED)],
) -> Response:
    """Recorded footage; the page asks for the reason once per viewing when the site's
    policy wants one."""
    reason = services.access.reason_needed(Permission.VIEW_RECORDED)
    return _page(
        request,
        services,
        principal,
        "playback.html",
        "playback",
        client={"reason_required": reason},
    )


@router.get("/events")
def events_page(
    request: Request,
    services: Services,
    principal: Annotated[Principal, AllowPage(Permission.VIEW_EVENTS)],
) -> Response:
    """Newest analytics events, and new ones as they happen (the page's script follows the
    Server-Sent Events feed); filters by camera and kind travel in the address."""
    cameras = services.access.cameras(principal, Permission.VIEW_EVENTS)
    names = {
        c.id: {"name": c.name, "video": services.access.flags(principal, c).recorded}
        for c in cameras
    }
    return _page(
        request,
        services,
        principal,
        "events.html",
        "events",
        kinds=EVENT_KINDS,
        client={"cameras": names, "kinds": list(EVENT_KINDS)},
    )


@router.get("/health")
def health_page(
    request: Request,
    services: Services,
    principal: Annotated[Principal, AllowPage(Permission.VIEW_HEALTH)],
) -> Response:
    return _page(request, services, principal, "health.html", "health")


@router.get("/cameras")
def cameras_page(
    request: Request,
    services: Services,
    principal: Annotated[Principal, AllowPage(Permission.VIEW_MAP)],
) -> Response:
    return _page(request, services, principal, "cameras.html", "cameras")


@router.get("/users")
def users_page(
    request: Request,
    services: Services,
    principal: Annotated[Principal, AllowPage(Permission.MANAGE_USERS)],
) -> Response:
    """Users and roles: an admin manages the accounts bound inside their own areas."""
    areas = services.admin.areas(principal)
    return _page(
        request,
        services,
        principal,
        "users.html",
        "users",
        roles=list(Role),
        areas=areas,
        every_area=principal.area_ids is None,
        client={"areas": [{"id": a.id, "path": a.path} for a in areas]},
    )


@router.get("/my")
def my_cameras_page(
    request: Request,
    services: Services,
    principal: Annotated[Principal, AllowPage(Permission.VIEW_OWN_ACCESS)],
) -> Response:
    """A household owner's cameras: what each shares, footage kept for cases, who looked."""
    places = services.areas.list()
    return _page(
        request,
        services,
        principal,
        "my_cameras.html",
        "my",
        places=places,
        tiers=["registry", "on_request", "live"],
    )


@router.get("/manifest.webmanifest")
def manifest(
    request: Request, services: Services, _: Annotated[Principal | None, Public()]
) -> Response:
    """PWA manifest: installable on a phone's home screen."""
    lang = _language(request)
    body = {
        "name": services.site_name,
        "short_name": services.site_name[:12],
        "lang": lang,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#10243e",
        "theme_color": "#10243e",
        "description": STRINGS[lang]["app_description"],
        "icons": [
            {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {
                "src": "/static/icons/icon-512.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/manifest+json")


@router.get("/sw.js")
def service_worker(_: Annotated[Principal | None, Public()]) -> Response:
    """Served from the root so its scope is the whole app."""
    return FileResponse(
        WEB_DIR / "static" / "js" / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/audit")
def audit_page(
    request: Request,
    services: Services,
    principal: Annotated[Principal, AllowPage(Permission.READ_AUDIT)],
) -> Response:
    """The audit trail: search by user, camera, case, action and time; export CSV. What the
    reader may see is decided by the API (scoped to their areas)."""
    cameras = services.access.cameras(principal, Permission.VIEW_MAP)
    return _page(
        request, services, principal, "audit.html", "audit",
        actions=[a.value for a in AuditAction],
        client={"camera_names": {c.id: c.name for c in cameras}},
    )  # fmt: skip
