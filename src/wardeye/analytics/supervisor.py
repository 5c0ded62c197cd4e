"""Runs the analytics worker processes beside the recorder and keeps them alive.

The recorder's reader of each camera's analysed stream (or a live-only reader when that stream
is not recorded) gets an ``AnalyticsSink``; its packets go over a bounded queue to one of the
worker processes (spawned, so they share nothing with this process). A watchdog restarts a
worker that died or stopped sending heartbeats (hung), with exponential backoff; the packets
sent meanwhile are dropped, never waited for. Events come back as small messages and are
written to the catalog here (the only writer) and published on the bus.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.context
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from wardeye.analytics import worker as worker_module
from wardeye.analytics.channel import AnalyticsSink, Channel
from wardeye.catalog import cameras as camera_repo
from wardeye.catalog import events as event_repo
from wardeye.catalog.database import Database
from wardeye.config.models import AnalyticsConfig
from wardeye.core.bus import EventBus
from wardeye.core.clock import utc_now
from wardeye.core.consent import may_pull
from wardeye.core.events import (
    AnalyticsEventRecorded,
    CameraCameBack,
    CameraRegistered,
    CameraRemoved,
    CameraUpdated,
    CameraWentOffline,
    Event,
    ZonesChanged,
)
from wardeye.ingest.packets import PacketSink

log = logging.getLogger(__name__)
Detach = Callable[[], None]
# Attach a sink to a camera stream (recorder's reader, or a live-only one); None: unavailable.
StreamAttach = Callable[[int, str, PacketSink, str], Detach | None]
WATCH_SECONDS = 0.5
HEALTHY_SECONDS = 60.0  # a worker up this long has its backoff reset
RELOAD_DELAY = 1.0  # let the recorder pick up a catalog change first


@dataclass
class WorkerSlot:
    index: int
    channel: Channel
    process: multiprocessing.process.BaseProcess | None = None
    inbox: Queue[Any] | None = None
    outbox: Queue[Any] | None = None
    started: float = 0.0
    last_beat: float = 0.0
    restarts: int = 0
    next_start: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    reader: threading.Thread | None = None


@dataclass
class _Watched:
    stream: str
    sink: AnalyticsSink
    detach: Detach
    slot: int


class AnalyticsSupervisor:
    def __init__(
        self,
        db: Database,
        config: AnalyticsConfig,
        data_dir: Path,
        bus: EventBus,
        attach: StreamAttach,
        timezone: str = "UTC",
        *,
        start_method: str = "spawn",
    ) -> None:
        self._db = db
        self._config = config
        self._snapshots = Path(data_dir) / "snapshots"
        self._bus = bus
        self._attach = attach
        self._timezone = timezone
        self._context: Any = multiprocessing.get_context(start_method)
        self._lock = threading.RLock()
        self._slots = [
            WorkerSlot(i, Channel(self._context.Queue(1))) for i in range(config.workers)
        ]
        self._cameras: dict[int, _Watched] = {}
        self._open: dict[tuple[int, str], int] = {}  # (camera, worker key) → event id
        self._offline: dict[int, int] = {}
        self._stop = threading.Event()
        self._reload_at: float | None = None
        self._watcher: threading.Thread | None = None
        self._unsubscribe: list[Callable[[], None]] = []

    @property
    def snapshots_dir(self) -> Path:
        return self._snapshots

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        if self._watcher is not None:
            return
        self._snapshots.mkdir(parents=True, exist_ok=True)
        now = utc_now()
        with self._db.session() as session:
            for camera in camera_repo.list_filtered(session):
                event_repo.close_open_events(session, camera.id, now)  # left by a crash
        for slot in self._slots:
            self._spawn(slot)
        subscriptions: list[tuple[type[Event], Callable[[Any], None]]] = [
            (CameraRegistered, self._catalog_changed),
            (CameraUpdated, self._catalog_changed),
            (CameraRemoved, self._catalog_changed),
            (ZonesChanged, self._zones_changed),
        ]
        if self._config.offline_events:
            subscriptions += [(CameraWentOffline, self._offline_started)]
            subscriptions += [(CameraCameBack, self._offline_ended)]
        for kind, handler in subscriptions:
            self._unsubscribe.append(self._bus.subscribe(kind, handler))
        self.reload()
        self._watcher = threading.Thread(target=self._watch, name="analytics-watch", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None
        with self._lock:
            watched, self._cameras = list(self._cameras.values()), {}
        for entry in watched:
            entry.detach()
        for slot in self._slots:
            self._send(slot, ("stop",))
        for slot in self._slots:
            self._end_process(slot, grace=10.0)
        self._close_all(utc_now())

    def reload(self) -> None:
        """Match the watched cameras to the catalog: enabled cameras whose video may be pulled
        (core.consent), on their analysed stream."""
        wanted: dict[int, str] = {}
        with self._db.session() as session:
            for camera in camera_repo.list_filtered(session):
                if may_pull(camera.kind, camera.consent_tier, camera.enabled, camera.verified):
                    use_sub = self._config.stream == "sub" and camera.sub_url
                    wanted[camera.id] = "sub" if use_sub else "main"
        with self._lock:
            gone = [cid for cid, w in self._cameras.items() if wanted.get(cid) != w.stream]
            for camera_id in gone:
                self._cameras.pop(camera_id).detach()
            for camera_id, stream in wanted.items():
                if camera_id in self._cameras:
                    continue
                slot = self._slots[camera_id % len(self._slots)]
                self._send(slot, ("camera", camera_id, self._camera_spec(camera_id)))
                sink = AnalyticsSink(camera_id, slot.channel)
                detach = self._attach(camera_id, stream, sink, "analytics")
                if detach is None:
                    log.warning("analytics: camera %d/%s cannot be opened", camera_id, stream)
                    continue
                self._cameras[camera_id] = _Watched(stream, sink, detach, slot.index)

    # -- queries ------------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        with self._lock:
            return [
                {
                    "worker": s.index,
                    "pid": s.process.pid if s.process else None,
                    "alive": bool(s.process and s.process.is_alive()),
                    "restarts": s.restarts,
                    "heartbeat_age": round(now - s.last_beat, 2) if s.last_beat else None,
                    "dropped_packets": s.channel.dropped,
                    "cameras": s.stats,
                }
                for s in self._slots
            ]

    def worker_pids(self) -> list[int | None]:
        with self._lock:
            return [s.process.pid if s.process else None for s in self._slots]

    # -- workers ------------------------------------------------------------------------------

    def _spawn(self, slot: WorkerSlot) -> None:
        inbox: Queue[Any] = self._context.Queue(self._config.queue_packets)
        outbox: Queue[Any] = self._context.Queue()
        with self._lock:
            for camera_id, entry in self._cameras.items():
                if entry.slot == slot.index:
                    inbox.put(("camera", camera_id, self._camera_spec(camera_id)))
                    if entry.sink.codec is not None:
                        inbox.put(("open", camera_id, entry.sink.codec))
        process = self._context.Process(
            target=worker_module.run,
            args=(
                slot.index,
                self._config.model_dump_json(),
                str(self._snapshots),
                inbox,
                outbox,
            ),
            name=f"wardeye-analytics-{slot.index}",
            daemon=True,
        )
        process.start()
        slot.process, slot.inbox, slot.outbox = process, inbox, outbox
        slot.started = slot.last_beat = time.monotonic()
        slot.channel.replace(inbox)
        slot.reader = threading.Thread(
            target=self._read, args=(slot, outbox, process), name="analytics-read", daemon=True
        )
        slot.reader.start()
        log.info("analytics worker %d started (pid %s)", slot.index, process.pid)

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_SECONDS):
            now = time.monotonic()
            for slot in self._slots:
                self._check(slot, now)
            if self._reload_at is not None and now >= self._reload_at:
                self._reload_at = None
                try:
                    self.reload()
                except Exception:
                    log.exception("analytics reload failed")

    def _check(self, slot: WorkerSlot, now: float) -> None:
        process = slot.process
        if process is None:
            if now >= slot.next_start:
                self._spawn(slot)
            return
        alive = process.is_alive()
        silent = now - slot.last_beat > self._config.heartbeat_timeout_seconds
        if alive and not silent:
            return
        why = "hung (no heartbeat)" if alive else f"died (exit code {process.exitcode})"
        self._end_process(slot, grace=0.0)
        self._close_slot_events(slot, utc_now())
        if now - slot.started > HEALTHY_SECONDS:
            slot.restarts = 0
        delay = min(
            self._config.restart_max_seconds,
            self._config.restart_initial_seconds * 2**slot.restarts,
        )
        slot.restarts += 1
        slot.next_start = now + delay
        log.warning("analytics worker %d %s; restarting in %.1f s", slot.index, why, delay)

    def _end_process(self, slot: WorkerSlot, grace: float) -> None:
        process, slot.process = slot.process, None
        if process is not None:
            process.join(grace)
            if process.is_alive():
                process.kill()
                process.join(5.0)
        for q in (slot.inbox, slot.outbox):
            if q is not None:
                q.close()
                q.cancel_join_thread()  # never wait on a dead reader's pipe
        if slot.reader is not None:
            slot.reader.join(2.0)
            slot.reader = None

    def _send(self, slot: WorkerSlot, message: tuple[Any, ...]) -> None:
        slot.channel.send(message)

    def _read(
        self, slot: WorkerSlot, outbox: Queue[Any], process: multiprocessing.process.BaseProcess
    ) -> None:
        while not self._stop.is_set() or process.is_alive():
            try:
                message = outbox.get(timeout=0.5)
            except queue.Empty:
                if slot.process is not process:
                    return
                continue
            except (OSError, ValueError, EOFError):
                return
            try:
                self._handle(slot, message)
            except Exception:
                log.exception("analytics message %s failed", message[0])

    # -- events -------------------------------------------------------------------------------

    def _handle(self, slot: WorkerSlot, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "heartbeat":
            slot.last_beat = time.monotonic()
            if message[2]:
                slot.stats = message[2]
        elif kind == "event":
            self._record(message[1], message[2], message[3])
        elif kind == "end":
            self._close(message[1], message[2], message[3], message[4])

    def _record(self, camera_id: int, event: dict[str, Any], snapshot: str | None) -> None:
        with self._db.session() as session:
            if not event_repo.camera_exists(session, camera_id):
                return
            record = event_repo.add_event(
                session,
                camera_id=camera_id,
                kind=event["kind"],
                start=event["start"],
                end=event["end"],
                label=event["label"],
                zone=event["zone"],
                track_id=event["track_id"],
                confidence=event["confidence"],
                snapshot=snapshot,
                details=event["details"],
            )
        if record.end is None:
            self._open[(camera_id, event["key"])] = record.id
        self._publish(record, ended=record.end is not None)

    def _close(
        self, camera_id: int, key: str, end: datetime, details: dict[str, Any] | None = None
    ) -> None:
        event_id = self._open.pop((camera_id, key), None)
        if event_id is None:
            return
        with self._db.session() as session:
            record = event_repo.close_event(session, event_id, end, details)
        if record is not None:
            self._publish(record, ended=True)

    def _close_slot_events(self, slot: WorkerSlot, end: datetime) -> None:
        cameras = {cid for cid, w in self._cameras.items() if w.slot == slot.index}
        for camera_id, key in [k for k in self._open if k[0] in cameras]:
            self._close(camera_id, key, end, {"worker_restarted": True})

    def _close_all(self, end: datetime) -> None:
        for camera_id, key in list(self._open):
            self._close(camera_id, key, end)
        for camera_id in list(self._offline):
            self._offline_close(camera_id, end)

    def _publish(self, record: event_repo.EventRecord, ended: bool) -> None:
        self._bus.publish(
            AnalyticsEventRecorded(
                record.id,
                record.camera_id,
                record.kind,
                record.start,
                record.end,
                record.label,
                record.zone,
                ended,
            )
        )

    def _offline_started(self, event: CameraWentOffline) -> None:
        if event.camera_id in self._offline:
            return
        with self._db.session() as session:
            if not event_repo.camera_exists(session, event.camera_id):
                return
            record = event_repo.add_event(
                session,
                camera_id=event.camera_id,
                kind="camera_offline",
                start=event.at,
                details={"reason": event.reason},
            )
        self._offline[event.camera_id] = record.id
        self._publish(record, ended=False)

    def _offline_ended(self, event: CameraCameBack) -> None:
        self._offline_close(event.camera_id, event.at)

    def _offline_close(self, camera_id: int, end: datetime) -> None:
        event_id = self._offline.pop(camera_id, None)
        if event_id is None:
            return
        with self._db.session() as session:
            record = event_repo.close_event(session, event_id, end)
        if record is not None:
            self._publish(record, ended=True)

    # -- catalog ------------------------------------------------------------------------------

    def _camera_spec(self, camera_id: int) -> dict[str, Any]:
        with self._db.session() as session:
            zones = event_repo.list_zones(session, camera_id)
        return {
            "timezone": self._timezone,
            "zones": [
                {"name": z.name, "kind": z.kind, "points": z.points, "settings": z.settings}
                for z in zones
                if z.enabled
            ],
        }

    def _catalog_changed(self, _event: Event) -> None:
        self._reload_at = time.monotonic() + RELOAD_DELAY

    def _zones_changed(self, event: ZonesChanged) -> None:
        with self._lock:
            entry = self._cameras.get(event.camera_id)
        if entry is not None:
            slot = self._slots[entry.slot]
            self._send(slot, ("camera", event.camera_id, self._camera_spec(event.camera_id)))
