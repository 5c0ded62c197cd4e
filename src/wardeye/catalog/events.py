"""Analytics events and zones in the catalog: plain functions over a session."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wardeye.catalog.models import AnalyticsEvent, Camera, Zone


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event as the API and the timeline show it."""

    id: int
    camera_id: int
    kind: str
    label: str | None
    zone: str | None
    track_id: int | None
    start: datetime
    end: datetime | None
    confidence: float | None
    snapshot: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, row: AnalyticsEvent) -> EventRecord:
        return cls(
            row.id,
            row.camera_id,
            row.kind,
            row.label,
            row.zone,
            row.track_id,
            row.start,
            row.end,
            row.confidence,
            row.snapshot,
            json.loads(row.details or "{}"),
        )


@dataclass(frozen=True, slots=True)
class ZoneRecord:
    id: int
    camera_id: int
    name: str
    kind: str
    points: list[tuple[float, float]]
    settings: dict[str, Any]
    enabled: bool

    @classmethod
    def of(cls, row: Zone) -> ZoneRecord:
        points = [(float(x), float(y)) for x, y in json.loads(row.points)]
        return cls(
            row.id,
            row.camera_id,
            row.name,
            row.kind,
            points,
            json.loads(row.settings or "{}"),
            row.enabled,
        )


def add_event(
    session: Session,
    *,
    camera_id: int,
    kind: str,
    start: datetime,
    end: datetime | None = None,
    label: str | None = None,
    zone: str | None = None,
    track_id: int | None = None,
    confidence: float | None = None,
    snapshot: str | None = None,
    details: dict[str, Any] | None = None,
) -> EventRecord:
    row = AnalyticsEvent(
        camera_id=camera_id,
        kind=kind,
        start=start,
        end=end,
        label=label,
        zone=zone,
        track_id=track_id,
        confidence=confidence,
        snapshot=snapshot,
        details=json.dumps(details or {}, ensure_ascii=False),
    )
    session.add(row)
    session.flush()
    return EventRecord.of(row)


def close_event(
    session: Session,
    event_id: int,
    end: datetime,
    details: dict[str, Any] | None = None,
    snapshot: str | None = None,
    confidence: float | None = None,
) -> EventRecord | None:
    """Set the end of an open event, merging ``details`` and keeping the better snapshot."""
    row = session.get(AnalyticsEvent, event_id)
    if row is None:
        return None
    row.end = end
    if details:
        row.details = json.dumps({**json.loads(row.details or "{}"), **details}, ensure_ascii=False)
    if snapshot is not None:
        row.snapshot = snapshot
    if confidence is not None:
        row.confidence = max(confidence, row.confidence or 0.0)
    session.flush()
    return EventRecord.of(row)


def get_event(session: Session, event_id: int) -> EventRecord | None:
    row = session.get(AnalyticsEvent, event_id)
    return None if row is None else EventRecord.of(row)


def list_events(
    session: Session,
    *,
    camera_ids: Sequence[int] | None = None,
    kinds: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 200,
    before_id: int | None = None,
) -> list[EventRecord]:
    """Newest first. An event is in [start, end) when it overlaps that window."""
    query = select(AnalyticsEvent)
    if camera_ids is not None:
        query = query.where(AnalyticsEvent.camera_id.in_(list(camera_ids)))
    if kinds:
        query = query.where(AnalyticsEvent.kind.in_(list(kinds)))
    if end is not None:
        query = query.where(AnalyticsEvent.start < end)
    if start is not None:
        query = query.where((AnalyticsEvent.end.is_(None)) | (AnalyticsEvent.end >= start))
    if before_id is not None:
        query = query.where(AnalyticsEvent.id < before_id)
    query = query.order_by(AnalyticsEvent.start.desc(), AnalyticsEvent.id.desc()).limit(limit)
    return [EventRecord.of(row) for row in session.scalars(query)]


def close_open_events(session: Session, camera_id: int, end: datetime) -> int:
    """End whatever a camera's worker left open (it died or the camera stopped)."""
    rows = session.scalars(
        select(AnalyticsEvent).where(
            AnalyticsEvent.camera_id == camera_id, AnalyticsEvent.end.is_(None)
        )
    ).all()
    for row in rows:
        row.end = max(end, row.start)
    return len(rows)


def list_zones(session: Session, camera_id: int | None = None) -> list[ZoneRecord]:
    query = select(Zone).order_by(Zone.camera_id, Zone.id)
    if camera_id is not None:
        query = query.where(Zone.camera_id == camera_id)
    return [ZoneRecord.of(row) for row in session.scalars(query)]


def add_zone(
    session: Session,
    camera_id: int,
    name: str,
    kind: str,
    points: Sequence[tuple[float, float]],
    settings: dict[str, Any],
    enabled: bool = True,
) -> ZoneRecord:
    row = Zone(
        camera_id=camera_id,
        name=name,
        kind=kind,
        points=json.dumps([list(p) for p in points]),
        settings=json.dumps(settings, ensure_ascii=False),
        enabled=enabled,
    )
    session.add(row)
    session.flush()
    return ZoneRecord.of(row)


def update_zone(
    session: Session,
    zone_id: int,
    *,
    name: str | None = None,
    points: Sequence[tuple[float, float]] | None = None,
    settings: dict[str, Any] | None = None,
    enabled: bool | None = None,
) -> ZoneRecord | None:
    row = session.get(Zone, zone_id)
    if row is None:
        return None
    if name is not None:
        row.name = name
    if points is not None:
        row.points = json.dumps([list(p) for p in points])
    if settings is not None:
        row.settings = json.dumps(settings, ensure_ascii=False)
    if enabled is not None:
        row.enabled = enabled
    session.flush()
    return ZoneRecord.of(row)


def get_zone(session: Session, zone_id: int) -> ZoneRecord | None:
    row = session.get(Zone, zone_id)
    return None if row is None else ZoneRecord.of(row)


def delete_zone(session: Session, zone_id: int) -> bool:
    return bool(session.execute(delete(Zone).where(Zone.id == zone_id)).rowcount)  # type: ignore[attr-defined]


def camera_exists(session: Session, camera_id: int) -> bool:
    return session.get(Camera, camera_id) is not None
