"""Analytics events (list, one, snapshot, live Server-Sent Events feed) and the zones and
lines drawn per camera. Events are pictures of people: a principal sees those of cameras whose
video they may see (in scope, and shared by a household owner)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field, model_validator

from wardeye.access.permissions import Permission
from wardeye.access.principal import Principal
from wardeye.analytics.store import EventStore
from wardeye.analytics.zones import ZoneSettings
from wardeye.api.auth import Services
from wardeye.api.guard import Allow
from wardeye.api.params import CameraId, EventId, IdQuery, Instant, ZoneId
from wardeye.api.schemas import EventView
from wardeye.api.services import ApiServices
from wardeye.audit.records import AuditAction
from wardeye.catalog.events import EventRecord, ZoneRecord
from wardeye.core.errors import Forbidden, NotFound
from wardeye.core.events import AnalyticsEventRecorded

router = APIRouter(tags=["events"])
KEEPALIVE_SECONDS = 15.0
Viewer = Annotated[Principal, Allow(Permission.VIEW_EVENTS)]
CameraAdmin = Annotated[Principal, Allow(Permission.MANAGE_CAMERAS)]


def _store(services: ApiServices) -> EventStore:
    if services.events is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "analytics events unavailable")
    return services.events


@router.get("/api/events")
def list_events(
    services: Services,
    principal: Viewer,
    camera_id: Annotated[list[IdQuery] | None, Query(description="Only these cameras.")] = None,
    kind: Annotated[list[str] | None, Query(description="Only these kinds.")] = None,
    start: Instant | None = None,
    end: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    before_id: IdQuery | None = None,
) -> list[EventView]:
    """Newest first; events overlapping [start, end) when given."""
    visible = services.access.camera_ids(principal, Permission.VIEW_EVENTS)
    cameras = sorted(visible if camera_id is None else visible & set(camera_id))
    records = _store(services).find(cameras, kind, start, end, limit, before_id)
    return [EventView.of(r) for r in records]


@router.get("/api/events/stream")
async def stream_events(
    request: Request,
    services: Services,
    principal: Viewer,
    camera_id: Annotated[list[IdQuery] | None, Query()] = None,
) -> StreamingResponse:
    """Server-Sent Events: one ``event: analytics`` message per event written or closed.
    A camera whose video stops being shared drops out of the feed at once."""
    store = _store(services)
    wanted = set(camera_id) if camera_id else None
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[AnalyticsEventRecorded] = asyncio.Queue(maxsize=1000)

    def deliver(event: AnalyticsEventRecorded) -> None:
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
                if record is None or not _may_see(services, principal, record):
                    continue
                payload = EventView.of(record).model_dump_json()
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


def _may_see(services: ApiServices, principal: Principal, record: EventRecord) -> bool:
    try:
        services.access.camera(principal, Permission.VIEW_EVENTS, record.camera_id)
    except (NotFound, Forbidden):  # out of scope, or consent withdrawn since
        return False
    return True


def _event(
    services: ApiServices, principal: Principal, event_id: int, action: AuditAction
) -> EventRecord:
    record = _store(services).get(event_id)
    try:
        if record is None:
            raise NotFound
        services.access.camera(
            principal,
            Permission.VIEW_EVENTS,
            record.camera_id,
            action=action,
            detail={"event_id": record.id},
        )
    except NotFound:  # an event of a camera out of scope looks as if it did not exist
        raise NotFound(f"no event with id {event_id}") from None
    return record


@router.get("/api/events/{event_id}")
def get_event(event_id: EventId, services: Services, principal: Viewer) -> EventView:
    return EventView.of(_event(services, principal, event_id, AuditAction.EVENT_VIEW))


@router.get("/api/events/{event_id}/snapshot", response_class=FileResponse)
def event_snapshot(event_id: EventId, services: Services, principal: Viewer) -> FileResponse:
    record = _event(services, principal, event_id, AuditAction.SNAPSHOT)
    path = _store(services).snapshot_file(record)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this event has no snapshot")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private"})


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


class ZoneView(BaseModel):
    id: int
    camera_id: int
    name: str
    kind: str
    points: list[tuple[float, float]]
    settings: ZoneSettings
    enabled: bool


def _zone_json(zone: ZoneRecord) -> ZoneView:
    return ZoneView(
        id=zone.id,
        camera_id=zone.camera_id,
        name=zone.name,
        kind=zone.kind,
        points=list(zone.points),
        settings=ZoneSettings.model_validate(zone.settings),
        enabled=zone.enabled,
    )


def _camera_zone(services: ApiServices, camera_id: int, zone_id: int) -> ZoneRecord:
    zone = _store(services).get_zone(zone_id)
    if zone is None or zone.camera_id != camera_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no zone {zone_id} on camera {camera_id}")
    return zone


@router.get("/api/cameras/{camera_id}/zones")
def list_zones(camera_id: CameraId, services: Services, principal: Viewer) -> list[ZoneView]:
    services.access.camera(principal, Permission.VIEW_EVENTS, camera_id)
    return [_zone_json(z) for z in _store(services).zones(camera_id)]


@router.post("/api/cameras/{camera_id}/zones", status_code=201)
def create_zone(
    camera_id: CameraId, body: ZoneBody, services: Services, principal: CameraAdmin
) -> ZoneView:
    _zone_camera(services, principal, camera_id, "create", body.name)
    if any(z.name == body.name for z in _store(services).zones(camera_id)):
        raise HTTPException(status.HTTP_409_CONFLICT, f"zone {body.name!r} already exists")
    zone = _store(services).add_zone(
        camera_id, body.name, body.kind, body.points, body.settings, body.enabled
    )
    return _zone_json(zone)


@router.put("/api/cameras/{camera_id}/zones/{zone_id}")
def replace_zone(
    camera_id: CameraId,
    zone_id: ZoneId,
    body: ZoneBody,
    services: Services,
    principal: CameraAdmin,
) -> ZoneView:
    _zone_camera(services, principal, camera_id, "update", body.name)
    current = _camera_zone(services, camera_id, zone_id)
    if current.kind != body.kind:
        raise HTTPException(422, "a zone's kind cannot change; delete it and draw a new one")
    zone = _store(services).update_zone(
        zone_id, name=body.name, points=body.points, settings=body.settings, enabled=body.enabled
    )
    assert zone is not None
    return _zone_json(zone)


@router.delete("/api/cameras/{camera_id}/zones/{zone_id}", status_code=204)
def delete_zone(
    camera_id: CameraId, zone_id: ZoneId, services: Services, principal: CameraAdmin
) -> None:
    _zone_camera(services, principal, camera_id, "delete", str(zone_id))
    _camera_zone(services, camera_id, zone_id)
    _store(services).delete_zone(zone_id)


def _zone_camera(
    services: ApiServices, principal: Principal, camera_id: int, op: str, name: str
) -> None:
    services.access.camera(
        principal,
        Permission.MANAGE_CAMERAS,
        camera_id,
        action=AuditAction.CAMERA_CHANGE,
        detail={"op": f"zone_{op}", "zone": name},
    )
