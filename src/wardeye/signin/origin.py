"""Cross-site request refusal: a state-changing request (POST, PUT, PATCH, DELETE) that a
browser could send with the session cookie must come from a page of this site. Its Origin (or,
when a browser leaves that out, its Referer) must name the host the request was sent to, or
one of the configured origins; otherwise 403. This backs up the SameSite=Strict cookie, and it
matters because some routes accept form-encodable bodies (the camera CSV import).

Requests authenticated by ``Authorization: Bearer`` carry no ambient credential and pass. A
request with neither Origin nor Referer passes only when it carries no session cookie (a
script signing in); a cookie-bearing one is refused. A socket handshake with the cookie and
another site's Origin is refused too, so another site's page cannot open a live socket as the
viewer (browsers always send Origin on socket handshakes)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _host_key(host: str, port: int | None) -> str:
    """Host and port, with either default port left out: behind a TLS proxy the app sees
    ``http`` while the page's origin says ``https``; the host name is what must agree."""
    host = host.lower().rstrip(".")
    return host if port in (None, 80, 443) else f"{host}:{port}"


def _origin_of(url: str) -> tuple[str, str] | None:
    """(normalised origin, host key) of an Origin or Referer value."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    shown_port = port if port not in (None, _DEFAULT_PORTS[parts.scheme]) else None
    origin = f"{parts.scheme}://{parts.hostname.lower()}" + (f":{shown_port}" if shown_port else "")
    return origin, _host_key(parts.hostname, port)


def _request_host(host_header: str) -> str | None:
    try:
        parts = urlsplit(f"//{host_header.strip()}")
        port = parts.port
    except ValueError:
        return None
    return None if not parts.hostname else _host_key(parts.hostname, port)


def normalise_origin(origin: str) -> str:
    found = _origin_of(origin)
    if found is None:
        raise ValueError(f"not an origin: {origin!r} (use e.g. https://cameras.example.vn)")
    return found[0]


def same_site(
    origin: str | None, referer: str | None, host: str | None, allowed: frozenset[str]
) -> bool | None:
    """True/False: the request's source is / is not this site; None: it names no source."""
    source = origin if origin is not None else referer
    if source is None:
        return None
    found = _origin_of(source)
    if found is None:  # "null" (a sandboxed frame, a privacy redirect) or garbage
        return False
    normalised, key = found
    return normalised in allowed or (host is not None and key == _request_host(host))


class OriginCheck:
    """Plain ASGI middleware (no response buffering, so live streams pass untouched)."""

    def __init__(
        self, app: ASGIApp, cookie_name: str, allowed_origins: Callable[[], Iterable[str]]
    ) -> None:
        """``allowed_origins`` is asked on each request (the configured list may be set after
        the middleware is built); values are checked and normalised once."""
        self.app = app
        self._cookie = cookie_name
        self._origins = allowed_origins
        self._seen: tuple[tuple[str, ...], frozenset[str]] = ((), frozenset())

    @property
    def _allowed(self) -> frozenset[str]:
        wanted = tuple(self._origins())
        if wanted != self._seen[0]:
            self._seen = (wanted, frozenset(normalise_origin(o) for o in wanted))
        return self._seen[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            refusal = self._refusal(Headers(scope=scope))
            if refusal is not None:
                await _forbid(send, refusal)
                return
        elif scope["type"] == "websocket":
            headers = Headers(scope=scope)
            verdict = same_site(headers.get("origin"), None, headers.get("host"), self._allowed)
            if verdict is False and self._has_cookie(headers):
                await send({"type": "websocket.close", "code": 4403})
                return
        await self.app(scope, receive, send)

    def _has_cookie(self, headers: Headers) -> bool:
        return self._cookie in cookie_parser(headers.get("cookie", ""))

    def _refusal(self, headers: Headers) -> str | None:
        authorization = headers.get("authorization", "")
        if authorization[:7].lower() == "bearer ":
            return None
        verdict = same_site(
            headers.get("origin"), headers.get("referer"), headers.get("host"), self._allowed
        )
        if verdict is None:
            cookie = self._has_cookie(headers)
            return "request without Origin or Referer refused" if cookie else None
        return None if verdict else "cross-site request refused: it must come from this site"


async def _forbid(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {"type": "http.response.start", "status": 403,
         "headers": [(b"content-type", b"application/json"),
                     (b"content-length", str(len(body)).encode())]}
    )  # fmt: skip
    await send({"type": "http.response.body", "body": body})
