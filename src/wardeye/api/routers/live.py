"""Live video: fMP4 fragments over a WebSocket for Media Source Extensions, and JPEG snapshots
(single or as an MJPEG stream) for browsers without MSE. Every viewer of a camera shares the
one reader connection of that camera."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, WebSocket, status
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from wardeye.api.auth import SESSION_USER_KEY, CurrentUser, Services
from wardeye.api.services import ApiServices
from wardeye.core.errors import NotFound
from wardeye.live.feed import LiveFeed
from wardeye.live.hub import LiveHub, StreamUnavailable
from wardeye.live.messages import Fragment, InitSegment, StreamStatus
from wardeye.live.snapshot import SnapshotMaker
from wardeye.registry.schemas import CameraView, UserView

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/live", tags=["live"])
StreamName = Literal["main", "sub"]
MJPEG_BOUNDARY = "wardeyeframe"


def _hub(services: ApiServices) -> LiveHub:
    if services.live is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "live view is not running")
    return services.live


def visible_camera(
    services: ApiServices, user: UserView, camera_id: int, allow_disabled: bool = False
) -> CameraView:
    """The camera if this user may see its video: within the user's area (else 404, like the
    camera API) and, for a household camera, shared live by its owner (else 403)."""
    try:
        camera = services.cameras.get(camera_id)
    except NotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no camera with id {camera_id}") from None
    if user.area_id is not None and not services.areas.within(camera.area_id, user.area_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no camera with id {camera_id}")
    if camera.kind == "household" and camera.consent_tier != "live":
        # The owner shares only the location (registry) or footage per approved request.
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"the owner of {camera.name!r} has not agreed to share its video (consent tier "
            f"{camera.consent_tier})",
        )
    if not camera.enabled and not allow_disabled:
        raise HTTPException(status.HTTP_409_CONFLICT, f"camera {camera.name!r} is disabled")
    return camera


def pick_stream(camera: CameraView, wanted: str) -> str:
    """Grids ask for the sub stream; a camera without one shows its main stream."""
    return "sub" if wanted == "sub" and camera.sub_url else "main"


@router.get("/status")
def live_status(services: Services, _: CurrentUser) -> list[dict[str, Any]]:
    """Each attached live stream: state, codec, size, viewers, last packet."""
    return [vars(state) for state in _hub(services).states()]


@router.get("/{camera_id}/snapshot.jpg")
async def snapshot(
    camera_id: int, services: Services, user: CurrentUser, stream: StreamName = "sub"
) -> Response:
    camera = visible_camera(services, user, camera_id)
    try:
        maker = _hub(services).snapshots(camera.id, pick_stream(camera, stream))
    except StreamUnavailable as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    jpeg = await _first_picture(maker)
    if jpeg is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no picture from this camera yet")
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


async def _first_picture(maker: SnapshotMaker, wait_seconds: float = 4.0) -> bytes | None:
    """A stream just attached has no keyframe yet: wait for one (a GOP is usually <= 2 s)."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        jpeg = await run_in_threadpool(maker.jpeg)
        if jpeg is not None or asyncio.get_running_loop().time() > deadline:
            return jpeg
        await asyncio.sleep(0.1)


@router.get("/{camera_id}/mjpeg")
async def mjpeg(
    camera_id: int,
    request: Request,
    services: Services,
    user: CurrentUser,
    stream: StreamName = "sub",
    fps: Annotated[float, Query(gt=0, le=10)] = 4.0,
) -> StreamingResponse:
    """multipart/x-mixed-replace JPEG stream: the fallback for browsers without MSE."""
    camera = visible_camera(services, user, camera_id)
    try:
        maker = _hub(services).snapshots(camera.id, pick_stream(camera, stream))
    except StreamUnavailable as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None

    async def frames() -> AsyncIterator[bytes]:
        last: bytes | None = None
        while not await request.is_disconnected():
            jpeg = await run_in_threadpool(maker.jpeg)
            if jpeg is not None and jpeg is not last:
                last = jpeg
                head = f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                yield (head + f"Content-Length: {len(jpeg)}\r\n\r\n").encode() + jpeg + b"\r\n"
            await asyncio.sleep(1.0 / fps)

    return StreamingResponse(
        frames(),
        media_type=f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
        headers={"Cache-Control": "no-store"},
    )


def _ws_user(websocket: WebSocket, services: ApiServices) -> UserView | None:
    user_id = websocket.session.get(SESSION_USER_KEY)
    if not isinstance(user_id, int):
        return None
    user = services.users.get(user_id)
    return user if user is not None and user.active else None


@router.websocket("/{camera_id}/ws")
async def live_socket(websocket: WebSocket, camera_id: int, stream: str = "sub") -> None:
    """Text frames are JSON ({"type": "init"|"status", ...}); binary frames are fMP4: the init
    segment right after an "init" message, then moof+mdat fragments."""
    services: ApiServices = websocket.app.state.services
    user = _ws_user(websocket, services)
    if user is None:
        await websocket.close(code=4401, reason="log in first")
        return
    try:
        camera = visible_camera(services, user, camera_id)
        broadcaster = _hub(services).broadcaster(camera.id, pick_stream(camera, stream))
    except (HTTPException, StreamUnavailable) as exc:
        code = 4403 if getattr(exc, "status_code", 404) == 403 else 4404
        await websocket.close(code=code, reason=str(getattr(exc, "detail", exc))[:120])
        return
    await websocket.accept()
    feed = LiveFeed(asyncio.get_running_loop())
    broadcaster.add_feed(feed)
    try:
        await _pump(websocket, feed, camera, broadcaster.stream)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        broadcaster.remove_feed(feed)
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close()


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
