"""All live streams of one WardEye process: one broadcaster per (camera, stream), attached as a
sink to the camera reader the recorder already runs, so viewers never open camera connections.

A stream is attached when first watched (or ``warm``-ed at start). A recorded stream then stays
attached, since its reader runs anyway: later viewers start at once from the cached GOP. A
stream read only for viewers (a sub stream nobody records) is detached ``linger_seconds``
after its last viewer leaves, which closes that camera connection.

Privacy: ``broadcaster`` and ``snapshots`` give the masked picture unless asked otherwise
(``masked=False``, for a viewer with the unmask right); see live/masked.py. Consent: when a
camera changes (``CameraUpdated`` on the bus) and its video may no longer be pulled, every
viewer of it is sent a "withdrawn" status and ended at once (``withdraw``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from wardeye.core.bus import EventBus
from wardeye.core.events import CameraRemoved, CameraUpdated
from wardeye.ingest.packets import PacketSink
from wardeye.live.broadcaster import LiveBroadcaster, LiveState
from wardeye.live.feed import LiveFeed
from wardeye.live.masked import MaskedStream
from wardeye.live.snapshot import SnapshotMaker, SnapshotView
from wardeye.live.tap import Attachment
from wardeye.privacy.masks import Mask, MasksChanged, MaskStore

log = logging.getLogger(__name__)
Detach = Callable[[], None]


class StreamTap(Protocol):
    """How the live layer reaches camera readers (implemented by the recording engine)."""

    def attach(self, camera_id: int, stream: str, sink: PacketSink, name: str) -> Attachment | None:
        """Add ``sink`` to the reader of that stream, starting one if none runs; None when the
        camera has no such stream or its video may not be pulled."""
        ...

    def refusal(self, camera_id: int) -> str | None:
        """Why this camera's video may not be pulled now (consent, disabled), or None."""
        ...


class LiveStream(Protocol):
    """What the live route feeds viewers from: a broadcaster, or its masked counterpart."""

    @property
    def camera_id(self) -> int: ...

    @property
    def stream(self) -> str: ...

    @property
    def withdrawn(self) -> str | None:
        """Why the stream was withdrawn (close the socket with 4403 and this reason)."""
        ...

    def add_feed(self, feed: LiveFeed) -> None: ...

    def remove_feed(self, feed: LiveFeed) -> None: ...


class StreamUnavailable(LookupError):
    """No reader can provide this camera stream (unknown camera, no sub stream, disabled)."""


@dataclass
class _Entry:
    broadcaster: LiveBroadcaster
    snapshots: SnapshotMaker
    masked: MaskedStream
    detach: Detach | None = None
    warm: bool = False
    timer: threading.Timer | None = None


class LiveHub:
    """Thread-safe registry of live broadcasters."""

    def __init__(
        self,
        tap: StreamTap,
        linger_seconds: float = 60.0,
        *,
        bus: EventBus | None = None,
        masks: MaskStore | None = None,
    ) -> None:
        self._tap = tap
        self._linger = linger_seconds
        self._masks = masks
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, str], _Entry] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        if bus is not None:
            self._unsubscribe += [
                bus.subscribe(CameraUpdated, self._camera_changed),
                bus.subscribe(CameraRemoved, self._camera_removed),
                bus.subscribe(MasksChanged, self._masks_changed),
            ]

    @property
    def masks(self) -> MaskStore | None:
        """The privacy masks this hub applies (None: no masks anywhere)."""
        return self._masks

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

    def broadcaster(self, camera_id: int, stream: str, masked: bool = True) -> LiveStream:
        """What viewers of a stream are fed from, attaching it to its reader if needed: the
        masked picture unless ``masked`` is False (only for a viewer with the unmask right
        who asked to lift the masks). A camera without masks costs the same either way."""
        entry = self._entry(camera_id, stream)
        return entry.masked if masked else entry.broadcaster

    def snapshots(self, camera_id: int, stream: str, masked: bool = True) -> SnapshotView:
        """Still pictures of a stream, masked unless ``masked`` is False."""
        entry = self._entry(camera_id, stream)
        return SnapshotView(entry.snapshots, self._mask_source(camera_id) if masked else None)

    def states(self) -> list[LiveState]:
        with self._lock:
            entries = list(self._entries.values())
        states = []
        for entry in entries:
            state = entry.broadcaster.state()
            state.viewers += entry.masked.encoded_viewers
            states.append(state)
        return states

    def forget(self, camera_id: int) -> None:
        """Detach every stream of a camera (it was removed or disabled)."""
        for entry in self._pop_camera(camera_id):
            entry.masked.close()
            self._release(entry)

    def withdraw(self, camera_id: int, reason: str) -> int:
        """The camera's video may no longer be shown: tell every viewer of every stream of it
        why and end them now, stop its masked encoders and detach from its readers. Returns
        how many streams were open."""
        entries = self._pop_camera(camera_id)
        for entry in entries:
            log.warning("live: camera %d/%s withdrawn from viewers: %s", camera_id,
                        entry.broadcaster.stream, reason)  # fmt: skip
            entry.masked.withdraw(reason)
            entry.broadcaster.withdraw(reason)
            entry.snapshots.end(reason)
            self._release(entry)
        return len(entries)

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
        for entry in entries:
            entry.masked.close()
            self._release(entry)

    # -- bus --------------------------------------------------------------------------------------
    def _camera_changed(self, event: CameraUpdated) -> None:
        """On the publisher's thread, so viewers are gone before the change is answered."""
        if not self._watched(event.camera_id):
            return
        reason = self._tap.refusal(event.camera_id)
        if reason is not None:
            self.withdraw(event.camera_id, reason)

    def _camera_removed(self, event: CameraRemoved) -> None:
        if self._watched(event.camera_id):
            self.withdraw(event.camera_id, f"camera {event.camera_id} was removed")

    def _masks_changed(self, event: MasksChanged) -> None:
        with self._lock:
            entries = [e for k, e in self._entries.items() if k[0] == event.camera_id]
        for entry in entries:
            entry.masked.masks_changed()

    def _watched(self, camera_id: int) -> bool:
        with self._lock:
            return any(key[0] == camera_id for key in self._entries)

    def _pop_camera(self, camera_id: int) -> list[_Entry]:
        with self._lock:
            gone = [key for key in self._entries if key[0] == camera_id]
            return [self._entries.pop(key) for key in gone]

    def _mask_source(self, camera_id: int) -> Callable[[], list[Mask]]:
        store = self._masks

        def masks() -> list[Mask]:
            return [] if store is None else store.enabled(camera_id)

        return masks

    def _entry(self, camera_id: int, stream: str) -> _Entry:
        key = (camera_id, stream)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                return entry
            broadcaster = LiveBroadcaster(
                camera_id, stream, self._viewers_changed, self._broadcaster_ended
            )

            def attach_masked(sink: PacketSink, name: str) -> Attachment | None:
                return self._tap.attach(camera_id, stream, sink, name)

            masked = MaskedStream(
                broadcaster, attach_masked, self._mask_source(camera_id),
                lambda: self._viewers_changed(broadcaster, None),
            )  # fmt: skip
            entry = _Entry(broadcaster, SnapshotMaker(broadcaster.gop_packets), masked)
            attachment = self._tap.attach(camera_id, stream, broadcaster, "live")
            if attachment is None:
                raise StreamUnavailable(f"camera {camera_id} has no {stream} stream to show")
            entry.detach, entry.warm = attachment.detach, attachment.recorded
            self._entries[key] = entry
            return entry

    def _viewers_changed(self, broadcaster: LiveBroadcaster, _viewers: int | None) -> None:
        """Original and masked viewers together decide when an unrecorded stream lingers."""
        key = (broadcaster.camera_id, broadcaster.stream)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.warm:
                return
            viewers = entry.broadcaster.state().viewers + entry.masked.encoded_viewers
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
        entry.masked.close()

    def _linger_over(self, key: tuple[int, str], entry: _Entry) -> None:
        with self._lock:
            if self._entries.get(key) is not entry or entry.broadcaster.state().viewers:
                return
            if entry.masked.encoded_viewers:
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
