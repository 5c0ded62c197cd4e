"""A raw ASGI caller for hostile requests: sends the path exactly as given (an HTTP client
would resolve "../" and re-encode), streams bodies in chunks with or without Content-Length,
stops reading after the first body bytes (so endless streams such as MJPEG or server-sent
events answer too), and turns an exception escaping the app into a 500 with its traceback."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import anyio
from starlette.types import ASGIApp, Message

CHUNK = 64 * 1024


@dataclass
class Answer:
    status: int  # HTTP status; for sockets 101 (accepted) or the close code
    body: bytes
    error: str = ""  # the traceback of an exception that escaped the app

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def call(
    app: ASGIApp,
    method: str,
    raw_path: str,
    query: str = "",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    declare_length: bool = True,
    websocket: bool = False,
    timeout: float = 20.0,
) -> Answer:
    fields = {k.lower(): v for k, v in (headers or {}).items()}
    if body and declare_length:
        fields.setdefault("content-length", str(len(body)))
    scope: dict[str, Any] = {
        "type": "websocket" if websocket else "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "ws" if websocket else "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "headers": [(b"host", b"testserver")]
        + [(k.encode("latin-1"), v.encode("latin-1")) for k, v in fields.items()],
    }
    return anyio.run(_run, app, scope, body, timeout)


async def _run(app: ASGIApp, scope: dict[str, Any], body: bytes, timeout: float) -> Answer:
    status = 0
    received = bytearray()
    done = anyio.Event()
    offset = 0
    connected = False

    async def receive() -> Message:
        nonlocal offset, connected
        if scope["type"] == "websocket":
            if not connected:
                connected = True
                return {"type": "websocket.connect"}
            await done.wait()
            return {"type": "websocket.disconnect", "code": 1000}
        if offset < len(body) or (offset == 0 and not body):
            chunk = body[offset : offset + CHUNK]
            offset += max(len(chunk), 1)
            return {"type": "http.request", "body": chunk, "more_body": offset < len(body)}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        kind = message["type"]
        if kind == "http.response.start":
            status = message["status"]
        elif kind == "http.response.body":
            received.extend(message.get("body", b""))
            if not message.get("more_body", False) or received:
                done.set()
        elif kind == "websocket.accept":
            status = 101
            done.set()
        elif kind == "websocket.close":
            status = message.get("code", 1000)
            done.set()
        elif kind == "websocket.http.response.start":
            status = message["status"]
            done.set()

    error = ""
    async with anyio.create_task_group() as group:

        async def application() -> None:
            nonlocal error, status
            try:
                await app(scope, receive, send)
            except Exception:
                error = traceback.format_exc()
                status = status if status >= 500 else 500
            finally:
                done.set()

        group.start_soon(application)
        with anyio.move_on_after(timeout):
            await done.wait()
        if not done.is_set():
            error, status = f"no answer in {timeout} s", 599
        group.cancel_scope.cancel()
    return Answer(status, bytes(received), error)
