"""Typed events that cross layers. Past-tense names; frozen so a subscriber cannot alter them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Event:
    """Base for everything published on the bus."""


@dataclass(frozen=True, slots=True)
class CameraRegistered(Event):
    camera_id: int
    name: str


@dataclass(frozen=True, slots=True)
class CameraUpdated(Event):
    camera_id: int


@dataclass(frozen=True, slots=True)
class CameraRemoved(Event):
    camera_id: int


@dataclass(frozen=True, slots=True)
class SegmentClosed(Event):
    camera_id: int
    stream: str
    path: str
    start: datetime
    end: datetime
    bytes: int


@dataclass(frozen=True, slots=True)
class CameraWentOffline(Event):
    camera_id: int
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class CameraCameBack(Event):
    camera_id: int
    at: datetime
    offline_seconds: float


@dataclass(frozen=True, slots=True)
class AnalyticsEventRecorded(Event):
    """An analytics event was written to the catalog (``ended`` False) or closed (True)."""

    event_id: int
    camera_id: int
    kind: str
    start: datetime
    end: datetime | None
    label: str | None
    zone: str | None
    ended: bool


@dataclass(frozen=True, slots=True)
class ZonesChanged(Event):
    """A camera's zones or lines were drawn, edited or removed."""

    camera_id: int
