"""Live video: fMP4 fragments over a WebSocket for Media Source Extensions, and JPEG snapshots
(single or as an MJPEG stream) for browsers without MSE. Every viewer of a camera shares the
one reader connection of that camera."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, WebSocket, status
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from wardeye.access.permissions import Permission
from wardeye.access.principal import Principal
from wardeye.api.auth import Services
from wardeye.api.guard import Allow, AllowSocket
from wardeye.api.params import CameraId
from wardeye.api.services import ApiServices
from wardeye.audit.records import AuditAction
from wardeye.core.bounds import MAX_ID
from wardeye.core.errors import Forbidden, NotFound
from wardeye.live.broadcaster import LiveState
from wardeye.live.feed import LiveFeed
from wardeye.live.hub import LiveHub, LiveStream, StreamUnavailable
from wardeye.live.messages import Fragment, InitSegment, StreamStatus
from wardeye.live.snapshot import SnapshotView
from wardeye.registry.schemas import CameraView

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/live", tags=["live"])
StreamName = Literal["main", "sub"]
MJPEG_BOUNDARY = "wardeyeframe"
Watcher = Annotated[Principal, Allow(Permission.VIEW_LIVE)]
Unmask = Annotated[
    bool, Query(description="Lift the privacy masks for this viewing (needs unmask + reason).")
]
Reason = Annotated[str | None, Query(max_length=500, description="Why; audited.")]


def _hub(services: ApiServices) -> LiveHub:
    if services.live is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "live view is not running")
    return services.live


def live_camera(
    services: ApiServices,
    principal: Principal,
    camera_id: int,
    action: AuditAction | None,
    stream: str,
) -> CameraView:
    """The camera if this principal may watch it live (the policy decides and audits), and it
    is enabled (else 409)."""
    camera = services.access.camera(
        principal, Permission.VIEW_LIVE, camera_id, action=action, detail={"stream": stream}
    )
    if not camera.enabled:
        raise HTTPException(status.HTTP_409_CONFLICT, f"camera {camera.name!r} is disabled")
    return camera


def pick_stream(camera: CameraView, wanted: str) -> str:
    """Grids ask for the sub stream; a camera without one shows its main stream."""
    return "sub" if wanted == "sub" and camera.sub_url else "main"


@router.get("/status")
def live_status(services: Services, principal: Watcher) -> list[LiveState]:
    """Each attached live stream of a camera this principal may watch: state, codec, size,
    viewers, last packet."""
    visible = services.access.camera_ids(principal, Permission.VIEW_LIVE)
    return [state for state in _hub(services).states() if state.camera_id in visible]


@router.get("/{camera_id}/snapshot.jpg")
async def snapshot(
    camera_id: CameraId,
    services: Services,
    principal: Watcher,
    stream: StreamName = "sub",
    unmask: Unmask = False,
    reason: Reason = None,
) -> Response:
    camera = live_camera(services, principal, camera_id, AuditAction.SNAPSHOT, stream)
    masked = not services.access.unmasked(principal, camera, unmask, reason)
    try:
        maker = _hub(services).snapshots(camera.id, pick_stream(camera, stream), masked=masked)
    except StreamUnavailable as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    jpeg = await _first_picture(maker)
    if jpeg is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no picture from this camera yet")
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


async def _first_picture(maker: SnapshotView, wait_seconds: float = 4.0) -> bytes | None:
    """A stream just attached has no keyframe yet: wait for one (a GOP is usually <= 2 s)."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        jpeg = await run_in_threadpool(maker.jpeg)
        if jpeg is not None or asyncio.get_running_loop().time() > deadline:
            return jpeg
        await asyncio.sleep(0.1)


@router.get("/{camera_id}/mjpeg")
async def mjpeg(
    camera_id: CameraId,
    request: Request,
    services: Services,
    principal: Watcher,
    stream: StreamName = "sub",
    fps: Annotated[float, Query(gt=0, le=10)] = 4.0,
    unmask: Unmask = False,
    reason: Reason = None,
) -> StreamingResponse:
    """multipart/x-mixed-replace JPEG stream: the fallback for browsers without MSE."""
    camera = live_camera(services, principal, camera_id, AuditAction.LIVE_START, stream)
    masked = not services.access.unmasked(principal, camera, unmask, reason)
    try:
        maker = _hub(services).snapshots(camera.id, pick_stream(camera, stream), masked=masked)
    except StreamUnavailable as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None

    started = time.monotonic()

    async def frames() -> AsyncIterator[bytes]:
        last: bytes | None = None
        try:
            # Ends when the viewer leaves or the camera is withdrawn (consent, disabled).
            while not maker.ended and not await request.is_disconnected():
                jpeg = await run_in_threadpool(maker.jpeg)
                if jpeg is not None and jpeg is not last:
                    last = jpeg
                    head = f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                    yield (head + f"Content-Length: {len(jpeg)}\r\n\r\n").encode() + jpeg + b"\r\n"
                await asyncio.sleep(1.0 / fps)
        finally:
            _record_stop(services, principal, camera.id, "mjpeg", started)

    return StreamingResponse(
        frames(),
        media_type=f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
        headers={"Cache-Control": "no-store"},
    )


@router.websocket("/{camera_id}/ws")
async def live_socket(
    websocket: WebSocket,
    camera_id: int,
    principal: Annotated[Principal | None, AllowSocket(Permission.VIEW_LIVE)],
    stream: str = "sub",
    unmask: bool = False,
    reason: str | None = None,
) -> None:
    """Text frames are JSON ({"type": "init"|"status", ...}); binary frames are fMP4: the init
    segment right after an "init" message, then moof+mdat fragments. A refused socket is
    accepted and closed with 4401 (sign in), 4403 (not allowed) or 4404 (no such camera), so
    the page can tell why."""
    services: ApiServices = websocket.app.state.services
    await websocket.accept()
    opened = _open_socket(services, principal, camera_id, stream, unmask, (reason or "")[:500])
    if isinstance(opened, SocketRefusal):
        await websocket.close(code=opened.code, reason=opened.reason[:120])
        return
    camera, broadcaster = opened
    assert principal is not None
    feed = LiveFeed(asyncio.get_running_loop())
    broadcaster.add_feed(feed)
    started = time.monotonic()
    try:
        await _pump(websocket, feed, camera, broadcaster.stream)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        broadcaster.remove_feed(feed)
        _record_stop(services, principal, camera.id, broadcaster.stream, started)
        withdrawn = broadcaster.withdrawn
        code, why = (4403, withdrawn[:120]) if withdrawn else (1000, "")
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code=code, reason=why)


@dataclass(frozen=True)
class SocketRefusal:
    code: int  # 4401 sign in, 4403 not allowed, 4404 no such camera/stream, 4409 disabled
    reason: str


def _open_socket(
    services: ApiServices,
    principal: Principal | None,
    camera_id: int,
    stream: str,
    unmask: bool,
    reason: str,
) -> tuple[CameraView, LiveStream] | SocketRefusal:
    if principal is None:
        return SocketRefusal(4401, "log in first")
    if not principal.can(Permission.VIEW_LIVE):
        return SocketRefusal(4403, f"your role ({principal.role}) may not view_live")
    if not 1 <= camera_id <= MAX_ID:
        return SocketRefusal(4404, f"no camera with id {camera_id}")
    try:
        camera = live_camera(services, principal, camera_id, AuditAction.LIVE_START, stream)
        masked = not services.access.unmasked(principal, camera, unmask, reason)
        chosen = pick_stream(camera, stream)
        return camera, _hub(services).broadcaster(camera.id, chosen, masked=masked)
    except (NotFound, StreamUnavailable) as exc:
        return SocketRefusal(4404, str(exc))
    except Forbidden as exc:
        return SocketRefusal(4403, str(exc))
    except HTTPException as exc:
        return SocketRefusal(4409 if exc.status_code == 409 else 4503, str(exc.detail))


def _record_stop(
    services: ApiServices, principal: Principal, camera_id: int, stream: str, started: float
) -> None:
    services.access.record(
        principal,
        AuditAction.LIVE_STOP,
        camera_id=camera_id,
        object_type="camera",
        object_id=str(camera_id),
        detail={"stream": stream, "seconds": round(time.monotonic() - started, 1)},
    )


async def _pump(websocket: WebSocket, feed: LiveFeed, camera: CameraView, stream: str) -> None:
    """Send what the feed gives until it ends or the viewer leaves. Fragments that queued up
    while a send was in progress go out as one WebSocket message (MSE parses byte streams)."""
    watcher = asyncio.create_task(_close_when_gone(websocket, feed))
    try:
        while (message := await feed.get()) is not None:
            pending: list[bytes] = []
            for item in (message, *feed.take_ready()):
                if isinstance(item, Fragment):
                    pending.append(item.data)
                    continue
                if pending:
                    await websocket.send_bytes(b"".join(pending))
                    pending = []
                if isinstance(item, InitSegment):
                    await websocket.send_text(json.dumps(_init_json(item, camera, stream)))
                    await websocket.send_bytes(item.data)
                elif isinstance(item, StreamStatus):
                    text = {"type": "status", "state": item.state, "reason": item.reason}
                    await websocket.send_text(json.dumps(text))
            if pending:
                await websocket.send_bytes(b"".join(pending))
    finally:
        watcher.cancel()


async def _close_when_gone(websocket: WebSocket, feed: LiveFeed) -> None:
    await _wait_closed(websocket)
    feed.close()


async def _wait_closed(websocket: WebSocket) -> None:
    """Viewers send nothing we need; reading notices when they go away."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
    except (WebSocketDisconnect, RuntimeError):
        return


def _init_json(message: InitSegment, camera: CameraView, stream: str) -> dict[str, Any]:
    return {
        "type": "init",
        "camera_id": camera.id,
        "stream": stream,
        "mime": message.mime,
        "codec": message.codec,
        "width": message.width,
        "height": message.height,
        "epoch": message.epoch,
    }
