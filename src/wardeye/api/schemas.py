"""Typed answers of the API that are not registry shapes: analytics events as the web app and
integrators see them, with the links to their picture and footage (built here, at the edge)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, Field

from wardeye.catalog.events import EventRecord

FOOTAGE_LEAD = timedelta(seconds=5)  # footage opens a little before the event


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class EventView(BaseModel):
    id: int
    camera_id: int
    kind: str
    label: str | None
    zone: str | None
    track_id: int | None
    start: datetime
    end: datetime | None
    confidence: float | None
    details: dict[str, Any] = Field(description="Rule-specific facts (speed, count, …).")
    snapshot_url: str | None
    footage_url: str
    timeline_url: str

    @classmethod
    def of(cls, record: EventRecord) -> EventView:
        lead = iso(record.start - FOOTAGE_LEAD)
        until = iso(record.end or record.start + FOOTAGE_LEAD)
        return cls(
            id=record.id,
            camera_id=record.camera_id,
            kind=record.kind,
            label=record.label,
            zone=record.zone,
            track_id=record.track_id,
            start=record.start,
            end=record.end,
            confidence=record.confidence,
            details=record.details,
            snapshot_url=f"/api/events/{record.id}/snapshot" if record.snapshot else None,
            footage_url=f"/api/playback/{record.camera_id}/media?"
            + urlencode({"at": lead, "origin": lead}),
            timeline_url=f"/api/playback/{record.camera_id}/timeline?"
            + urlencode({"start": lead, "end": until}),
        )
