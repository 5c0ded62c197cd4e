"""Live health figures of one camera stream, kept by its reader and read by anyone.

States: ``starting`` (the first connection attempt is still under way), ``online`` (packets
flowing), ``reconnecting`` (lost less than ``grace_seconds`` ago), ``offline`` (not connected
for longer than the grace period; ``offline_since`` is when it was lost), ``paused_disk_full``
(connected, but the recorder cannot write), ``stopped``. The grace period keeps a camera that
blips for a second (a Wi-Fi bridge, a reboot of the switch) from raising an offline alert.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from wardeye.core.clock import utc_now

WINDOW_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class StreamHealth:
    state: str
    since: datetime
    offline_since: datetime | None
    fps: float
    bitrate_kbps: float
    codec: str | None
    width: int
    height: int
    last_packet_at: datetime | None
    last_keyframe_at: datetime | None
    last_error: str | None
    connect_attempts: int
    connections: int


class HealthTracker:
    """Thread-safe: the reader writes, the recorder's watcher and the API read snapshots."""

    def __init__(self, grace_seconds: float = 5.0, now: Callable[[], datetime] = utc_now) -> None:
        self._grace = timedelta(seconds=grace_seconds)
        self._now = now
        self._lock = threading.Lock()
        self._created = now()
        self._online_since: datetime | None = None
        self._down_since: datetime | None = None
        self._stopped_at: datetime | None = None
        self._paused_since: datetime | None = None
        self._window: deque[tuple[float, int]] = deque()
        self._codec: str | None = None
        self._size = (0, 0)
        self._last_packet: float | None = None  # monotonic: no datetime work per packet
        self._last_keyframe: float | None = None
        self._last_error: str | None = None
        self._attempts = 0
        self._connections = 0

    def attempting(self) -> None:
        with self._lock:
            self._attempts += 1
            self._stopped_at = None

    def streaming(self, codec: str, width: int, height: int) -> None:
        """First good packet of a connection: the stream is online."""
        with self._lock:
            self._connections += 1
            self._online_since = self._now()
            self._down_since = None
            self._codec, self._size = codec, (width, height)

    def packet(self, size: int, keyframe: bool) -> None:
        """Called by the reader only, for every packet: kept lock-free and cheap (each
        statement is atomic under the GIL; snapshots copy the window in one step)."""
        mono = time.monotonic()
        self._last_packet = mono
        if keyframe:
            self._last_keyframe = mono
        window = self._window
        window.append((mono, size))
        while window and mono - window[0][0] > WINDOW_SECONDS:
            window.popleft()

    def lost(self, error: str | None) -> None:
        """A connection ended, or an attempt failed; ``error`` must already be redacted."""
        with self._lock:
            if error:
                self._last_error = error
            if self._down_since is None:  # never up at all: down since we started trying
                self._down_since = self._now() if self._connections else self._created
            self._online_since = None
            self._window.clear()

    def set_paused(self, paused: bool) -> None:
        """The recorder paused this stream because the disk is full (or resumed it)."""
        with self._lock:
            if paused and self._paused_since is None:
                self._paused_since = self._now()
            elif not paused:
                self._paused_since = None

    def stopped(self) -> None:
        with self._lock:
            self._stopped_at = self._now()
            self._online_since = None
            self._window.clear()

    def snapshot(self) -> StreamHealth:
        with self._lock:
            now = self._now()
            state, since, offline_since = self._state(now)
            fps, kbps = self._rates()
            mono = time.monotonic()
            return StreamHealth(
                state=state,
                since=since,
                offline_since=offline_since,
                fps=fps,
                bitrate_kbps=kbps,
                codec=self._codec,
                width=self._size[0],
                height=self._size[1],
                last_packet_at=self._wall(self._last_packet, now, mono),
                last_keyframe_at=self._wall(self._last_keyframe, now, mono),
                last_error=self._last_error,
                connect_attempts=self._attempts,
                connections=self._connections,
            )

    def _state(self, now: datetime) -> tuple[str, datetime, datetime | None]:
        if self._stopped_at is not None:
            return "stopped", self._stopped_at, None
        if self._online_since is not None:
            if self._paused_since is not None:
                return "paused_disk_full", self._paused_since, None
            return "online", self._online_since, None
        down = self._down_since
        if down is None:  # the first attempt is still under way (open timeout bounds it)
            return "starting", self._created, None
        if now - down <= self._grace:
            return "reconnecting", down, None
        return "offline", down, down

    @staticmethod
    def _wall(moment: float | None, now: datetime, mono: float) -> datetime | None:
        return None if moment is None else now - timedelta(seconds=max(0.0, mono - moment))

    def _rates(self) -> tuple[float, float]:
        window = list(self._window)  # one atomic copy while the reader appends
        if len(window) < 2:
            return 0.0, 0.0
        span = window[-1][0] - window[0][0]
        if span <= 0:
            return 0.0, 0.0
        frames = len(window) - 1
        total = sum(size for _, size in window[1:])
        return round(frames / span, 2), round(total * 8 / span / 1000, 1)
