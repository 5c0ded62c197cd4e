"""Recorded footage: the timeline of a camera (recorded ranges, gaps, events) and the footage
itself as fragmented MP4 for Media Source Extensions, starting at any instant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from wardeye.api.auth import CurrentUser, Services
from wardeye.api.routers.live import visible_camera
from wardeye.api.services import ApiServices
from wardeye.core.clock import ensure_utc, utc_now
from wardeye.live.footage import FootageIndex, SegmentInfo
from wardeye.live.replay import ReplayError, SegmentReplay

router = APIRouter(prefix="/api/playback", tags=["playback"])
StreamName = Literal["main", "sub"]
MAX_WINDOW = timedelta(days=31)


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


def _iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else _iso(moment)


@router.get("/{camera_id}/timeline")
def timeline(
    camera_id: int,
    services: Services,
    user: CurrentUser,
    start: datetime,
    end: datetime,
    stream: StreamName = "main",
) -> dict[str, Any]:
    """Recorded ranges, gaps (with reasons) and events between start and end (UTC)."""
    camera = visible_camera(services, user, camera_id, allow_disabled=True)
    start, end = _window(start, end)
    line = _footage(services).timeline(camera.id, start, end, stream)
    events = services.events_between(camera.id, start, end)
    return {
        "camera_id": camera.id,
        "start": _iso(line.start),
        "end": _iso(line.end),
        "ranges": [{"start": _iso(a), "end": _iso(b)} for a, b in line.ranges],
        "gaps": [
            {"start": _iso(g.start), "end": _iso_or_none(g.end), "reason": g.reason}
            for g in line.gaps
        ],
        "events": list(events),
    }


def _segment_json(seg: SegmentInfo) -> dict[str, Any]:
    return {
        "start": _iso(seg.start),
        "end": _iso(seg.end),
        "fps": seg.fps,
        "codec": seg.codec,
        "width": seg.width,
        "height": seg.height,
    }


@router.get("/{camera_id}/segments")
def segments(
    camera_id: int,
    services: Services,
    user: CurrentUser,
    start: datetime,
    end: datetime,
    stream: StreamName = "main",
) -> list[dict[str, Any]]:
    camera = visible_camera(services, user, camera_id, allow_disabled=True)
    start, end = _window(start, end)
    return [_segment_json(s) for s in _footage(services).segments(camera.id, start, end, stream)]


@router.get(
    "/{camera_id}/media",
    responses={
        200: {"content": {"video/mp4": {}}, "description": "fMP4: init segment, fragments"},
        404: {"description": "No footage at that instant; `next` says where footage resumes"},
    },
)
async def media(
    camera_id: int,
    services: Services,
    user: CurrentUser,
    at: datetime,
    origin: Annotated[datetime, Query(description="Instant that is time 0 in the output.")],
    stream: StreamName = "main",
) -> Response:
    """The segment playing at ``at``, from the keyframe at or before it to the segment's end.
    Timestamps count from ``origin`` so consecutive requests line up in one SourceBuffer."""
    camera = visible_camera(services, user, camera_id, allow_disabled=True)
    at, origin = ensure_utc(at), ensure_utc(origin)
    footage = _footage(services)
    current, following = await run_in_threadpool(footage.segment_at, camera.id, at, stream)
    if current is None:
        body = {"detail": "no footage at that instant", "next": _iso(following.start)
                if following else None}  # fmt: skip
        return JSONResponse(body, status_code=404)
    if current.start < origin:
        raise HTTPException(422, "origin must not be after the segment's start")
    offset = (at - current.start).total_seconds()
    base = (current.start - origin).total_seconds()
    try:
        replay = await run_in_threadpool(SegmentReplay, footage.file(current), offset, base)
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


@router.get("/uptime")
def uptime(services: Services, user: CurrentUser) -> list[dict[str, Any]]:
    """Share of the last 24 h and 7 d with recorded footage, per visible camera."""
    footage = _footage(services)
    now = utc_now()
    result = []
    for camera in services.cameras.list(area_id=user.area_id):
        day = footage.uptime(camera.id, now, timedelta(days=1), camera.created_at)
        week = footage.uptime(camera.id, now, timedelta(days=7), camera.created_at)
        result.append({"camera_id": camera.id, "day": day, "week": week})
    return result
