"""What a camera reader hands to its consumers: stream facts, packets, and the sink Protocol.

Packets are immutable copies (bytes + 90 kHz timestamps + wall-clock time) rather than PyAV
packets, because several sinks on several threads read the same packet and muxing a PyAV packet
rewrites it in place. Every video packet is Annex-B, and every keyframe carries its parameter
sets (SPS/PPS, plus VPS for H.265), so any keyframe is a valid place for a consumer to start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Protocol

CLOCK_RATE = 90_000
"""Ticks per second of every timestamp a reader emits (RTSP's video clock)."""
TIME_BASE = Fraction(1, CLOCK_RATE)

# Reasons given to PacketSink.stream_closed. Anything else describes a lost connection.
CLOSED_STOPPED = "stopped"
CLOSED_PARAMETERS_CHANGED = "stream parameters changed"
CLOSED_OVERFLOW = "sink fell behind"
CLOSED_DETACHED = "detached"


def ticks_to_seconds(ticks: int) -> float:
    return ticks / CLOCK_RATE


def ticks_to_delta(ticks: int) -> timedelta:
    return timedelta(microseconds=round(ticks * 1_000_000 / CLOCK_RATE))


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """One unbroken run of packets from a camera stream (a connection, or part of one when the
    camera changed its parameters). ``epoch`` grows by one per run."""

    camera_id: int
    stream: str
    codec: str  # FFmpeg codec name: "h264" or "hevc"
    width: int
    height: int
    fps: float | None
    parameter_sets: bytes  # Annex-B SPS/PPS(/VPS) the run started with
    source: str  # URL with credentials removed
    epoch: int


@dataclass(frozen=True, slots=True)
class MediaPacket:
    """One compressed access unit. ``dts``/``pts`` are 90 kHz ticks on a per-reader timeline that
    only moves forward (camera resets and jumps are already smoothed out); ``at`` is the estimated
    capture time in UTC (see ``timestamps.WallClock``: it may step back slightly as the estimate
    improves)."""

    data: bytes
    pts: int
    dts: int
    duration: int
    keyframe: bool
    at: datetime


class PacketSink(Protocol):
    """A consumer of one camera stream. Called from its own delivery thread, in order:
    ``stream_opened``, then packets starting with a keyframe, then ``stream_closed``; again for
    each new run. A sink that raises or falls behind never affects the reader or other sinks."""

    def stream_opened(self, info: StreamInfo) -> None: ...

    def packet(self, packet: MediaPacket) -> None: ...

    def stream_closed(self, reason: str) -> None: ...
