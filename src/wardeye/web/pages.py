"""The pages people open: login and the camera list. Rendered on the server, no CDN."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from wardeye.api.auth import SESSION_USER_KEY, Services, current_user_or_none
from wardeye.web.i18n import STRINGS, pick_language

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
router = APIRouter(include_in_schema=False)


def _language(request: Request) -> str:
    requested = request.query_params.get("lang") or request.cookies.get("lang")
    return pick_language(requested, request.headers.get("accept-language"))


def _render(request: Request, name: str, services: Any, **context: Any) -> HTMLResponse:
    lang = _language(request)
    response = TEMPLATES.TemplateResponse(
        request,
        name,
        {"t": STRINGS[lang], "lang": lang, "site_name": services.site_name, **context},
    )
    if request.query_params.get("lang") in STRINGS:
        response.set_cookie("lang", lang, samesite="strict", max_age=365 * 86400)
    return response


@router.get("/login")
def login_page(request: Request, services: Services) -> Response:
    return _render(request, "login.html", services, error=None)


@router.post("/login")
def login_form(
    request: Request,
    services: Services,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    user = services.users.authenticate(username, password)
    if user is None:
        response = _render(request, "login.html", services, error=True)
        response.status_code = 401
        return response
    request.session.clear()
    request.session[SESSION_USER_KEY] = user.id
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout_form(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def cameras_page(request: Request, services: Services) -> Response:
    user = current_user_or_none(request, services)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    cameras = services.cameras.list(area_id=user.area_id)
    states = {}
    for health in services.camera_health():
        if getattr(health, "stream", "main") == "main":
            states[health.camera_id] = getattr(health, "state", "unknown")
    return _render(request, "cameras.html", services, user=user, cameras=cameras, states=states)
