"""Analytics events (list, one, snapshot, live Server-Sent Events feed) and the zones and
lines drawn per camera (admins). Users bound to an area see only its cameras' events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field, model_validator

from wardeye.analytics.store import EventStore, event_json
from wardeye.analytics.zones import ZoneSettings
from wardeye.api.auth import CurrentUser, Services, require_role
from wardeye.api.routers.live import visible_camera
from wardeye.api.services import ApiServices
from wardeye.catalog.events import ZoneRecord
from wardeye.core.clock import ensure_utc
from wardeye.core.events import AnalyticsEventRecorded
from wardeye.registry.schemas import UserView

router = APIRouter(tags=["events"])
Admin = Annotated[UserView, Depends(require_role("admin"))]
KEEPALIVE_SECONDS = 15.0


def _store(services: ApiServices) -> EventStore:
    if services.events is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "analytics events unavailable")
    return services.events


def _visible_ids(services: ApiServices, user: UserView) -> list[int] | None:
    """Camera ids this user may see; None: all."""
    if user.area_id is None:
        return None
    return [c.id for c in services.cameras.list(area_id=user.area_id)]


@router.get("/api/events")
def list_events(
    services: Services,
    user: CurrentUser,
    camera_id: Annotated[list[int] | None, Query(description="Only these cameras.")] = None,
    kind: Annotated[list[str] | None, Query(description="Only these kinds.")] = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    before_id: int | None = None,
) -> list[dict[str, Any]]:
    """Newest first; events overlapping [start, end) when given."""
    visible = _visible_ids(services, user)
    cameras: list[int] | None = camera_id
    if visible is not None:
        cameras = [c for c in (camera_id or visible) if c in set(visible)]
    records = _store(services).find(
        cameras,
        kind,
        ensure_utc(start) if start else None,
        ensure_utc(end) if end else None,
        limit,
        before_id,
    )
    return [event_json(r) for r in records]


@router.get("/api/events/stream")
async def stream_events(
    request: Request,
    services: Services,
    user: CurrentUser,
    camera_id: Annotated[list[int] | None, Query()] = None,
) -> StreamingResponse:
    """Server-Sent Events: one ``event: analytics`` message per event written or closed."""
    store = _store(services)
    visible = _visible_ids(services, user)
    wanted = set(camera_id) if camera_id else None
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[AnalyticsEventRecorded] = asyncio.Queue(maxsize=1000)

    def deliver(event: AnalyticsEventRecorded) -> None:
        if visible is not None and event.camera_id not in visible:
            return
        if wanted is not None and event.camera_id not in wanted:
            return
        loop.call_soon_threadsafe(_offer, queue, event)

    unsubscribe = store.subscribe(deliver)

    async def messages() -> AsyncIterator[bytes]:
        try:
            yield b": connected\n\n"
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                record = store.get(event.event_id)
                if record is None:
                    continue
                payload = json.dumps(event_json(record), ensure_ascii=False)
                yield f"event: analytics\nid: {record.id}\ndata: {payload}\n\n".encode()
        finally:
            unsubscribe()

    return StreamingResponse(
        messages(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _offer(queue: asyncio.Queue[AnalyticsEventRecorded], event: AnalyticsEventRecorded) -> None:
    if not queue.full():
        queue.put_nowait(event)


@router.get("/api/events/{event_id}")
def get_event(event_id: int, services: Services, user: CurrentUser) -> dict[str, Any]:
    record = _store(services).get(event_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no event with id {event_id}")
    visible_camera(services, user, record.camera_id, allow_disabled=True)
    return event_json(record)


@router.get("/api/events/{event_id}/snapshot", response_class=FileResponse)
def event_snapshot(event_id: int, services: Services, user: CurrentUser) -> FileResponse:
    store = _store(services)
    record = store.get(event_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no event with id {event_id}")
    visible_camera(services, user, record.camera_id, allow_disabled=True)
    path = store.snapshot_file(record)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this event has no snapshot")
    return FileResponse(path, media_type="image/jpeg")


# -- zones ------------------------------------------------------------------------------------


class ZoneBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["polygon", "line"]
    points: list[tuple[float, float]] = Field(description="0-1 coordinates of the picture.")
    settings: ZoneSettings = Field(default_factory=ZoneSettings)
    enabled: bool = True

    @model_validator(mode="after")
    def _shape(self) -> ZoneBody:
        if any(not (0 <= x <= 1 and 0 <= y <= 1) for x, y in self.points):
            raise ValueError("points use 0-1 coordinates")
        if self.kind == "line" and len(self.points) != 2:
            raise ValueError("a line has exactly 2 points")
        if self.kind == "polygon" and len(self.points) < 3:
            raise ValueError("a polygon needs at least 3 points")
        return self


def _zone_json(zone: ZoneRecord) -> dict[str, Any]:
    return {
        "id": zone.id,
        "camera_id": zone.camera_id,
        "name": zone.name,
        "kind": zone.kind,
        "points": [list(p) for p in zone.points],
        "settings": ZoneSettings.model_validate(zone.settings).model_dump(mode="json"),
        "enabled": zone.enabled,
    }


def _camera_zone(services: ApiServices, camera_id: int, zone_id: int) -> ZoneRecord:
    zone = _store(services).get_zone(zone_id)
    if zone is None or zone.camera_id != camera_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no zone {zone_id} on camera {camera_id}")
    return zone


@router.get("/api/cameras/{camera_id}/zones")
def list_zones(camera_id: int, services: Services, user: CurrentUser) -> list[dict[str, Any]]:
    visible_camera(services, user, camera_id, allow_disabled=True)
    return [_zone_json(z) for z in _store(services).zones(camera_id)]


@router.post("/api/cameras/{camera_id}/zones", status_code=201)
def create_zone(camera_id: int, body: ZoneBody, services: Services, user: Admin) -> dict[str, Any]:
    visible_camera(services, user, camera_id, allow_disabled=True)
    if any(z.name == body.name for z in _store(services).zones(camera_id)):
        raise HTTPException(status.HTTP_409_CONFLICT, f"zone {body.name!r} already exists")
    zone = _store(services).add_zone(
        camera_id, body.name, body.kind, body.points, body.settings, body.enabled
    )
    return _zone_json(zone)


@router.put("/api/cameras/{camera_id}/zones/{zone_id}")
def replace_zone(
    camera_id: int, zone_id: int, body: ZoneBody, services: Services, user: Admin
) -> dict[str, Any]:
    visible_camera(services, user, camera_id, allow_disabled=True)
    current = _camera_zone(services, camera_id, zone_id)
    if current.kind != body.kind:
        raise HTTPException(422, "a zone's kind cannot change; delete it and draw a new one")
    zone = _store(services).update_zone(
        zone_id, name=body.name, points=body.points, settings=body.settings, enabled=body.enabled
    )
    assert zone is not None
    return _zone_json(zone)


@router.delete("/api/cameras/{camera_id}/zones/{zone_id}", status_code=204)
def delete_zone(camera_id: int, zone_id: int, services: Services, user: Admin) -> None:
    visible_camera(services, user, camera_id, allow_disabled=True)
    _camera_zone(services, camera_id, zone_id)
    _store(services).delete_zone(zone_id)
