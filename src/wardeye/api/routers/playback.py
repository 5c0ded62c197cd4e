"""Recorded footage: the timeline of a camera (recorded ranges, gaps, events) and the footage
itself as fragmented MP4 for Media Source Extensions, starting at any instant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Literal
from urllib.parse import unquote

from fastapi import APIRouter, Header, HTTPException, Query, status
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from wardeye.access.permissions import Permission
from wardeye.access.policy import Footage
from wardeye.access.principal import Principal
from wardeye.api.auth import Services
from wardeye.api.guard import Allow
from wardeye.api.params import CameraId, Instant
from wardeye.api.schemas import EventView
from wardeye.api.services import ApiServices
from wardeye.audit.records import AuditAction
from wardeye.core.clock import ensure_utc, utc_now
from wardeye.live.footage import FootageIndex, SegmentInfo
from wardeye.live.replay import ReplayError, SegmentReplay

router = APIRouter(prefix="/api/playback", tags=["playback"])
StreamName = Literal["main", "sub"]
MAX_WINDOW = timedelta(days=31)
Player = Annotated[Principal, Allow(Permission.VIEW_RECORDED)]
Reason = Annotated[
    str | None,
    Header(
        alias="X-Access-Reason",
        max_length=500,
        description="Why this footage is needed (percent-encoded UTF-8); audited.",
    ),
]
ReasonQuery = Annotated[str | None, Query(max_length=500, description="Same as the header.")]


def _footage(services: ApiServices) -> FootageIndex:
    if services.footage is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no recordings index")
    return services.footage


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = ensure_utc(start), ensure_utc(end)
    if end <= start:
        raise HTTPException(422, "end must be after start")
    if end - start > MAX_WINDOW:
        raise HTTPException(422, "ask for at most 31 days at a time")
    return start, end


def _iso(moment: datetime) -> str:
    return ensure_utc(moment).isoformat().replace("+00:00", "Z")


class TimeRange(BaseModel):
    start: datetime
    end: datetime


class GapView(BaseModel):
    start: datetime
    end: datetime | None
    reason: str


class TimelineView(BaseModel):
    camera_id: int
    start: datetime
    end: datetime
    ranges: list[TimeRange]
    gaps: list[GapView]
    events: list[EventView]


class SegmentView(BaseModel):
    start: datetime
    end: datetime
    fps: float | None
    codec: str
    width: int
    height: int


@router.get("/{camera_id}/timeline")
def timeline(
    camera_id: CameraId,
    services: Services,
    principal: Player,
    start: Instant,
    end: Instant,
    stream: StreamName = "main",
) -> TimelineView:
    """Recorded ranges, gaps (with reasons) and events between start and end (UTC)."""
    camera = services.access.camera(principal, Permission.VIEW_RECORDED, camera_id)
    start, end = _window(start, end)
    line = _footage(services).timeline(camera.id, start, end, stream)
    events = (
        services.events.find([camera.id], start=start, end=end, limit=1000)
        if (services.events is not None)
        else []
    )
    return TimelineView(
        camera_id=camera.id,
        start=line.start,
        end=line.end,
        ranges=[TimeRange(start=a, end=b) for a, b in line.ranges],
        gaps=[GapView(start=g.start, end=g.end, reason=g.reason) for g in line.gaps],
        events=[EventView.of(e) for e in reversed(events)],
    )


def _segment_json(seg: SegmentInfo) -> SegmentView:
    return SegmentView(
        start=seg.start,
        end=seg.end,
        fps=seg.fps,
        codec=seg.codec,
        width=seg.width,
        height=seg.height,
    )


@router.get("/{camera_id}/segments")
def segments(
    camera_id: CameraId,
    services: Services,
    principal: Player,
    start: Instant,
    end: Instant,
    stream: StreamName = "main",
) -> list[SegmentView]:
    camera = services.access.camera(principal, Permission.VIEW_RECORDED, camera_id)
    start, end = _window(start, end)
    return [_segment_json(s) for s in _footage(services).segments(camera.id, start, end, stream)]


@router.get(
    "/{camera_id}/media",
    responses={
        200: {"content": {"video/mp4": {}}, "description": "fMP4: init segment, fragments"},
        404: {"description": "No footage at that instant; `next` says where footage resumes"},
        428: {"description": "The site's policy wants a reason (X-Access-Reason) first"},
    },
)
async def media(
    camera_id: CameraId,
    services: Services,
    principal: Player,
    at: Instant,
    origin: Annotated[Instant, Query(description="Instant that is time 0 in the output.")],
    stream: StreamName = "main",
    reason: ReasonQuery = None,
    x_access_reason: Reason = None,
    unmask: Annotated[bool, Query(description="Lift privacy masks (unmask + reason).")] = False,
) -> Response:
    """The segment playing at ``at``, from the keyframe at or before it to the segment's end.
    Timestamps count from ``origin`` so consecutive requests line up in one SourceBuffer.
    Every answer is audited with the footage range served and the stated reason."""
    stated = services.access.check_reason(
        Permission.VIEW_RECORDED, _unquote(x_access_reason) or reason
    )
    camera = services.access.camera(principal, Permission.VIEW_RECORDED, camera_id)
    masks = (
        []
        if services.access.unmasked(principal, camera, unmask, stated)
        else (services.masks(camera.id))
    )
    footage = _footage(services)
    current, following = await run_in_threadpool(footage.segment_at, camera.id, at, stream)
    if current is not None:
        services.access.record(
            principal,
            AuditAction.PLAYBACK,
            camera_id=camera.id,
            object_type="camera",
            object_id=str(camera.id),
            footage=Footage(start=max(at, current.start), end=current.end, reason=stated),
            detail={"stream": stream},
        )
    if current is None:
        body = {
            "detail": "no footage at that instant",
            "next": _iso(following.start) if following else None,
        }
        return JSONResponse(body, status_code=404)
    if current.start < origin:
        raise HTTPException(422, "origin must not be after the segment's start")
    offset = (at - current.start).total_seconds()
    base = (current.start - origin).total_seconds()
    try:
        replay = await run_in_threadpool(
            partial(SegmentReplay, masks=masks), footage.file(current), offset, base
        )
        chunks = replay.chunks()
        first = await run_in_threadpool(next, chunks, b"")
    except ReplayError as exc:
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, str(exc)) from None
    headers = {
        "X-Mime": replay.head.mime,
        "X-Segment-Start": _iso(current.start),
        "X-Segment-End": _iso(current.end),
        "X-Next-Start": _iso(following.start) if following else "",
        "X-Fps": str(replay.head.fps or current.fps or ""),
        "Cache-Control": "private, max-age=60",
    }
    return StreamingResponse(_prefixed(first, chunks), media_type="video/mp4", headers=headers)


def _prefixed(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


class UptimeView(BaseModel):
    camera_id: int
    day: float | None
    week: float | None


@router.get("/uptime")
def uptime(
    services: Services, principal: Annotated[Principal, Allow(Permission.VIEW_HEALTH)]
) -> list[UptimeView]:
    """Share of the last 24 h and 7 d with recorded footage, per visible camera."""
    footage = _footage(services)
    now = utc_now()
    result = []
    for camera in services.access.cameras(principal, Permission.VIEW_HEALTH):
        day = footage.uptime(camera.id, now, timedelta(days=1), camera.created_at)
        week = footage.uptime(camera.id, now, timedelta(days=7), camera.created_at)
        result.append(UptimeView(camera_id=camera.id, day=day, week=week))
    return result


def _unquote(value: str | None) -> str | None:
    """Headers are Latin-1: the web app percent-encodes a Vietnamese reason."""
    return None if value is None else unquote(value)
