"""What a live viewer receives, in order: an init segment, fragments, and status changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class InitSegment:
    """Start of a stream run: (re)create the SourceBuffer for ``mime`` and append ``data``."""

    data: bytes
    mime: str
    codec: str
    width: int
    height: int
    epoch: int


@dataclass(frozen=True, slots=True)
class Fragment:
    """One moof+mdat; ``keyframe`` fragments are where a lagging viewer may resume."""

    data: bytes
    keyframe: bool
    dts: int
    at: datetime


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """The camera stream stopped (``state`` "offline"), cannot be shown ("unsupported"), or
    may no longer be shown ("withdrawn": consent withdrawn, camera disabled; ``reason`` says
    which, for the player to show)."""

    state: str
    reason: str


LiveMessage = InitSegment | Fragment | StreamStatus
