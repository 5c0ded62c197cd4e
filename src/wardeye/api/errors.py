"""Turn domain errors and validation failures into 4xx answers a person can read, without
ever echoing what was submitted (a password, a stream URL's credentials)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from wardeye.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ReasonRequired,
    WardEyeError,
)

# Fields whose value is a secret, or may carry one (a stream URL with user:password@).
_SECRET_PARTS = ("password", "secret", "token", "url", "otp", "key")
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_GENERIC = {
    "missing": "field required",
    "string_type": "should be text",
    "string_too_short": "should have at least {min_length} characters",
    "string_too_long": "should have at most {max_length} characters",
    "string_pattern_mismatch": "has characters that are not allowed",
    "string_unicode": "is not valid text",
}
_MAX_LOC = 64  # a client-chosen key (an unknown field) is echoed, but never at length


def _is_secret(loc: list[str]) -> bool:
    return any(part in name.lower() for name in loc for part in _SECRET_PARTS)


def _scrub(msg: str, value: object) -> str:
    """Drop any quoted fragment of the submitted value from a message: libraries quote the
    part they choked on (urllib quotes a URL's would-be port, which can be its password)."""
    if not isinstance(value, str) or not value:
        return msg

    def hide(match: re.Match[str]) -> str:
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        return "'…'" if inner and inner in value else match.group(0)

    msg = _QUOTED.sub(hide, msg)
    return msg.replace(value, "…") if len(value) >= 4 else msg


def _safe(err: dict[str, Any]) -> dict[str, Any]:
    """One validation error without the input: no ``input``, no ``ctx`` (it can hold the
    offending value), no ``url``; the message of a secret field is rebuilt from its type."""
    kind = str(err.get("type", "invalid"))
    loc = [
        p if isinstance(p, int) else str(p)[:_MAX_LOC]
        for p in err.get("loc", ())
        if p not in ("body", "query", "path", "header", "cookie")
    ]
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        msg = "unknown field"
    elif _is_secret([str(p) for p in loc]):
        ctx = err.get("ctx") or {}
        template = _GENERIC.get(kind)
        if template is not None:
            limits = {k: v for k, v in ctx.items() if isinstance(v, int)}
            try:
                msg = template.format(**limits)
            except (KeyError, IndexError):
                msg = "invalid value"
        elif kind != "value_error":
            msg = "invalid value"
    msg = _scrub(msg, err.get("input"))
    return {"type": kind, "loc": loc, "msg": msg}


def safe_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    return [_safe(dict(e)) for e in errors]


def _plain(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors:
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(ReasonRequired)
    async def _reason(_: Request, exc: ReasonRequired) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "reason_required": True}, status_code=428)

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=422)

    @app.exception_handler(WardEyeError)
    async def _other(_: Request, exc: WardEyeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = safe_errors(exc.errors())  # inputs may hold credentials: never echo them
        return JSONResponse({"detail": _plain(errors), "errors": errors}, status_code=422)
