"""Hand one reader's packets to many sinks without letting any sink slow the reader down.

Each sink gets its own bounded queue and delivery thread. The reader only appends to queues, so
a sink that blocks (a full disk, a stuck browser socket) or raises (a bug in analytics) cannot
stall the camera connection or the other sinks. A sink that falls ``max_queue`` packets behind
loses what is queued: it is told ``stream_closed(CLOSED_OVERFLOW)`` and picks up again at the
next keyframe with a fresh ``stream_opened``, so it never sees a broken run of packets.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from wardeye.ingest.packets import (
    CLOSED_DETACHED,
    CLOSED_OVERFLOW,
    MediaPacket,
    PacketSink,
    StreamInfo,
)

log = logging.getLogger(__name__)

_OPEN, _PACKET, _CLOSE = 0, 1, 2


@dataclass(slots=True)
class SinkStats:
    delivered: int = 0
    dropped: int = 0
    overflows: int = 0
    errors: int = 0


class _SinkSlot:
    """One sink's queue, delivery thread, and where it stands in the current run."""

    def __init__(self, sink: PacketSink, name: str, max_queue: int, linger: float) -> None:
        self.sink = sink
        self.name = name
        self.stats = SinkStats()
        self._max_queue = max(2, max_queue)
        self._linger = linger
        self._wake = threading.Event()  # cuts a linger short when stopping
        self._queue: deque[tuple[int, object]] = deque()
        self._cond = threading.Condition()
        self._info: StreamInfo | None = None  # run the sink should be in (None: closed)
        self._announced = False  # stream_opened queued for the current run
        self._seen_open = False  # state the sink reached with what the thread already took
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"sink-{name}", daemon=True)
        self._thread.start()

    def opened(self, info: StreamInfo) -> None:
        with self._cond:
            self._info = info
            self._announced = False  # opened for real at the next keyframe

    def packet(self, packet: MediaPacket) -> None:
        with self._cond:
            if self._info is None:
                return
            if not self._announced:
                if not packet.keyframe:
                    self.stats.dropped += 1
                    return
                self._push(_OPEN, self._info)
                self._announced = True
            if len(self._queue) >= self._max_queue:
                self._overflow()
                if not packet.keyframe:
                    self.stats.dropped += 1
                    return
                self._push(_OPEN, self._info)
                self._announced = True
            self._push(_PACKET, packet)

    def closed(self, reason: str) -> None:
        with self._cond:
            if self._announced:
                self._push(_CLOSE, reason)
            self._info = None
            self._announced = False

    def stop(self, timeout: float) -> bool:
        """Deliver what is queued, then end the thread. False if the sink did not finish."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._wake.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _push(self, kind: int, item: object) -> None:
        self._queue.append((kind, item))
        if len(self._queue) == 1:  # otherwise the thread is busy or lingering: it will see it
            self._cond.notify()

    def _overflow(self) -> None:
        self.stats.dropped += sum(1 for kind, _ in self._queue if kind == _PACKET)
        self.stats.overflows += 1
        self._queue.clear()
        self._announced = False
        if self._seen_open:
            self._queue.append((_CLOSE, CLOSED_OVERFLOW))
        if self.stats.overflows == 1 or self.stats.overflows % 100 == 0:
            log.warning("%s fell behind (%d times); dropped to the next keyframe",
                        self.name, self.stats.overflows)  # fmt: skip

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
            if self._linger and not self._stopping:
                self._wake.wait(self._linger)  # let a batch gather: one wake-up, many packets
            with self._cond:
                batch = list(self._queue)
                self._queue.clear()
                for kind, _ in batch:
                    if kind != _PACKET:
                        self._seen_open = kind == _OPEN
            for kind, item in batch:
                self._deliver(kind, item)

    def _deliver(self, kind: int, item: object) -> None:
        try:
            if kind == _PACKET:
                self.sink.packet(item)  # type: ignore[arg-type]
                self.stats.delivered += 1
            elif kind == _OPEN:
                self.sink.stream_opened(item)  # type: ignore[arg-type]
            else:
                self.sink.stream_closed(item)  # type: ignore[arg-type]
        except Exception:
            self.stats.errors += 1
            if self.stats.errors == 1 or self.stats.errors % 100 == 0:
                log.exception("%s raised (%d times); it keeps receiving", self.name,
                              self.stats.errors)  # fmt: skip


class FanOut:
    """The reader side: forwards each event to every attached sink's queue, never blocking."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._slots: tuple[_SinkSlot, ...] = ()  # replaced, never mutated: read without lock
        self._info: StreamInfo | None = None

    def attach(
        self, sink: PacketSink, name: str, max_queue: int = 500, linger: float = 0.0
    ) -> Callable[[], None]:
        """Start feeding ``sink`` (from the next keyframe if a run is on); returns a detach
        function, which closes the sink's run and waits for its queue to drain.

        ``linger``: seconds the delivery thread waits after waking so packets arrive in
        batches. Each thread wake-up costs more CPU than handling a packet, so a sink that can
        take some latency (the recorder: 0.5 s) should linger; live view should not."""
        slot = _SinkSlot(sink, f"{self._name}/{name}", max_queue, linger)
        with self._lock:
            if self._info is not None:
                slot.opened(self._info)
            self._slots = (*self._slots, slot)

        def detach(timeout: float = 30.0) -> None:
            with self._lock:
                if slot not in self._slots:
                    return
                self._slots = tuple(s for s in self._slots if s is not slot)
            slot.closed(CLOSED_DETACHED)
            slot.stop(timeout)

        return detach

    def low_latency_wanted(self) -> bool:
        """Whether a sink needs packets as soon as they arrive: a sink says so with a
        ``wants_low_latency`` attribute (live view while someone watches). The reader then
        reads its camera more often; otherwise it reads in larger, cheaper batches."""
        return any(getattr(slot.sink, "wants_low_latency", False) for slot in self._slots)

    def stats(self) -> dict[str, SinkStats]:
        with self._lock:
            return {slot.name: slot.stats for slot in self._slots}

    def opened(self, info: StreamInfo) -> None:
        with self._lock:
            self._info = info
            for slot in self._slots:
                slot.opened(info)

    def packet(self, packet: MediaPacket) -> None:
        for slot in self._slots:
            slot.packet(packet)

    def closed(self, reason: str) -> None:
        with self._lock:
            self._info = None
            for slot in self._slots:
                slot.closed(reason)

    def stop(self, timeout: float = 30.0) -> bool:
        """Drain and end every delivery thread (after the reader has closed the run).
        Returns False if a sink was still busy after ``timeout``."""
        with self._lock:
            slots, self._slots = self._slots, ()
        finished = True
        for slot in slots:
            if not slot.stop(timeout):
                finished = False
                log.error("%s did not finish within %.0f s", slot.name, timeout)
        return finished
