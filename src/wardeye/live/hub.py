"""All live streams of one WardEye process: one broadcaster per (camera, stream), attached as a
sink to the camera reader the recorder already runs, so viewers never open camera connections.

A stream is attached when first watched (or ``warm``-ed at start). A recorded stream then stays
attached, since its reader runs anyway: later viewers start at once from the cached GOP. A
stream read only for viewers (a sub stream nobody records) is detached ``linger_seconds``
after its last viewer leaves, which closes that camera connection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from wardeye.ingest.packets import PacketSink
from wardeye.live.broadcaster import LiveBroadcaster, LiveState
from wardeye.live.snapshot import SnapshotMaker
from wardeye.live.tap import Attachment

log = logging.getLogger(__name__)
Detach = Callable[[], None]


class StreamTap(Protocol):
    """How the live layer reaches camera readers (implemented by the recording engine)."""

    def attach(self, camera_id: int, stream: str, sink: PacketSink, name: str) -> Attachment | None:
        """Add ``sink`` to the reader of that stream, starting one if none runs; None when the
        camera has no such stream."""
        ...


class StreamUnavailable(LookupError):
    """No reader can provide this camera stream (unknown camera, no sub stream, disabled)."""


@dataclass
class _Entry:
    broadcaster: LiveBroadcaster
    snapshots: SnapshotMaker
    detach: Detach | None = None
    warm: bool = False
    timer: threading.Timer | None = None


class LiveHub:
    """Thread-safe registry of live broadcasters."""

    def __init__(self, tap: StreamTap, linger_seconds: float = 60.0) -> None:
        self._tap = tap
        self._linger = linger_seconds
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, str], _Entry] = {}

    def warm(self, camera_id: int, stream: str) -> LiveBroadcaster:
        """Attach now and keep attached (streams that are recorded anyway)."""
        entry = self._entry(camera_id, stream)
        entry.warm = True
        return entry.broadcaster

    def warm_all(self, streams: Iterable[tuple[int, str]]) -> None:
        """Attach every recorded stream at start, so even the first viewer starts at once."""
        for camera_id, stream in streams:
            try:
                self.warm(camera_id, stream)
            except StreamUnavailable as exc:
                log.warning("live: %s", exc)

    def broadcaster(self, camera_id: int, stream: str) -> LiveBroadcaster:
        """The broadcaster for a stream, attaching it to its reader if needed."""
        return self._entry(camera_id, stream).broadcaster

    def snapshots(self, camera_id: int, stream: str) -> SnapshotMaker:
        return self._entry(camera_id, stream).snapshots

    def states(self) -> list[LiveState]:
        with self._lock:
            entries = list(self._entries.values())
        return [e.broadcaster.state() for e in entries]

    def forget(self, camera_id: int) -> None:
        """Detach every stream of a camera (it was removed or disabled)."""
        with self._lock:
            gone = [key for key in self._entries if key[0] == camera_id]
            entries = [self._entries.pop(key) for key in gone]
        for entry in entries:
            self._release(entry)

    def stop(self) -> None:
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
        for entry in entries:
            self._release(entry)

    def _entry(self, camera_id: int, stream: str) -> _Entry:
        key = (camera_id, stream)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                return entry
            broadcaster = LiveBroadcaster(
                camera_id, stream, self._viewers_changed, self._broadcaster_ended
            )
            entry = _Entry(broadcaster, SnapshotMaker(broadcaster.gop_packets))
            attachment = self._tap.attach(camera_id, stream, broadcaster, "live")
            if attachment is None:
                raise StreamUnavailable(f"camera {camera_id} has no {stream} stream to show")
            entry.detach, entry.warm = attachment.detach, attachment.recorded
            self._entries[key] = entry
            return entry

    def _viewers_changed(self, broadcaster: LiveBroadcaster, viewers: int) -> None:
        key = (broadcaster.camera_id, broadcaster.stream)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.warm:
                return
            if entry.timer is not None:
                entry.timer.cancel()
                entry.timer = None
            if viewers == 0:
                entry.timer = threading.Timer(self._linger, self._linger_over, (key, entry))
                entry.timer.daemon = True
                entry.timer.start()

    def _broadcaster_ended(self, broadcaster: LiveBroadcaster) -> None:
        """Its reader stopped for good: forget it, the next viewer attaches afresh."""
        key = (broadcaster.camera_id, broadcaster.stream)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.broadcaster is not broadcaster:
                return
            del self._entries[key]
        if entry.timer is not None:
            entry.timer.cancel()

    def _linger_over(self, key: tuple[int, str], entry: _Entry) -> None:
        with self._lock:
            if self._entries.get(key) is not entry or entry.broadcaster.state().viewers:
                return
            del self._entries[key]
        log.info("live: nobody watches camera %s/%s; detaching", *key)
        self._release(entry)

    @staticmethod
    def _release(entry: _Entry) -> None:
        if entry.timer is not None:
            entry.timer.cancel()
        if entry.detach is not None:
            try:
                entry.detach()
            except Exception:
                log.exception("detaching a live stream failed")
