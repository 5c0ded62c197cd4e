"""Build the FastAPI application from services handed in by the composition root."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from wardeye import __version__
from wardeye.api.errors import install_error_handlers
from wardeye.api.limits import RequestLimits
from wardeye.api.routers import (
    account,
    areas,
    cameras,
    events,
    footage_requests,
    household,
    live,
    playback,
    system,
    users,
)
from wardeye.api.routers.audit import router as audit_router
from wardeye.api.routers.masks import router as masks_router
from wardeye.api.services import ApiServices
from wardeye.config.models import SigninConfig
from wardeye.signin.origin import OriginCheck
from wardeye.signin.services import SigninServices
from wardeye.signin.sessions import SESSION_COOKIE as SIGNIN_COOKIE

SESSION_COOKIE = "wardeye_session"


def create_api(
    services: ApiServices, secret_key: str, signin: SigninServices | None = None
) -> FastAPI:
    app = FastAPI(
        title="WardEye",
        version=__version__,
        description="Community security-camera network: cameras, recordings, evidence.",
        docs_url=None,  # Swagger UI loads from a CDN; WardEye must work offline
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.services = services
    if signin is None:  # until the composition root passes its own (configured) one
        signin = SigninServices.build(services.users._db, SigninConfig(), services.site_name)
    app.state.signin = signin
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=12 * 3600,
        same_site="strict",
        https_only=services.secure_cookies,
    )
    # Cross-site state-changing requests with the session cookie answer 403 (see signin.origin).
    app.add_middleware(
        OriginCheck,
        cookie_name=SIGNIN_COOKIE,
        allowed_origins=lambda: app.state.signin.config.allowed_origins,
    )
    app.add_middleware(RequestLimits)  # outermost: oversized bodies never reach a route
    install_error_handlers(app)
    routers = (account.auth_router, account.router, areas.router, cameras.router, users.router)
    for router in (*routers, system.router, live.router, playback.router, events.router):
        app.include_router(router)
    app.include_router(masks_router)
    app.include_router(audit_router)
    app.include_router(household.router)
    app.include_router(footage_requests.router)
    return app
