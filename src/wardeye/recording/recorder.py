"""The recording service: records every enabled camera of the catalog, around the clock, except
household cameras whose owner does not share video (``core.consent.may_pull``).

Design (measured, see docs/recording.md): one reader thread per camera stream plus one delivery
thread per sink. PyAV's reads block in FFmpeg with the GIL released, so threads overlap I/O for
free; an asyncio loop would still need a thread per blocking read. A single watcher thread turns
health into CameraWentOffline/CameraCameBack events and picks up catalog changes.

Usable without the web app::

    recorder = Recorder(db, config.recording, config.recordings_dir(), InProcessBus())
    recorder.start()   # reconcile the disk with the index, then record
    ...
    recorder.stop()    # finish and index every open segment
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from wardeye.catalog import cameras as camera_repo
from wardeye.catalog.database import Database
from wardeye.config.models import RecordingConfig
from wardeye.core.bus import EventBus
from wardeye.core.clock import utc_now
from wardeye.core.consent import may_pull
from wardeye.core.events import (
    CameraCameBack,
    CameraRegistered,
    CameraRemoved,
    CameraUpdated,
    CameraWentOffline,
    Event,
)
from wardeye.core.redact import redact_url
from wardeye.ingest.packets import PacketSink
from wardeye.recording.health import CameraHealth
from wardeye.recording.index import GAP_DISABLED, GAP_RECONNECTING, GAP_STOPPED
from wardeye.recording.pipeline import StreamPipeline
from wardeye.recording.reconcile import ReconcileReport, reconcile
from wardeye.recording.segmenter import DiskFullHandler

log = logging.getLogger(__name__)

Key = tuple[int, str]
WATCH_SECONDS = 1.0


class Recorder:
    """Records every enabled camera (main stream, plus sub when ``record_substream``)."""

    def __init__(
        self,
        db: Database,
        config: RecordingConfig,
        recordings_dir: Path,
        bus: EventBus,
        on_disk_full: DiskFullHandler | None = None,
        *,
        offline_grace_seconds: float = 5.0,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = db
        self._config = config
        self._root = Path(recordings_dir)
        self._bus = bus
        self._on_disk_full = on_disk_full
        self._grace = offline_grace_seconds
        self._now = now
        self._lock = threading.RLock()
        self._pipelines: dict[Key, StreamPipeline] = {}
        self._stop = threading.Event()
        self._dirty = threading.Event()
        self._watcher: threading.Thread | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self.last_reconcile: ReconcileReport | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Reconcile the disk with the index, then record every enabled camera."""
        if self._watcher is not None:
            return
        self._root.mkdir(parents=True, exist_ok=True)
        self._stop.clear()
        self.last_reconcile = self._reconcile()
        if self._config.enabled:
            self.reload()
        for kind in (CameraRegistered, CameraUpdated, CameraRemoved):
            self._unsubscribe.append(self._bus.subscribe(kind, self._catalog_changed))
        self._watcher = threading.Thread(target=self._watch, name="recorder-watch", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        """Stop every stream; open segments are finished and indexed before this returns."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None
        with self._lock:
            pipelines, self._pipelines = dict(self._pipelines), {}
        self._stop_all(list(pipelines.values()), GAP_STOPPED)

    def reload(self) -> None:
        """Match the running streams to the catalog: start new/enabled cameras, stop removed or
        disabled ones, restart those whose URL changed."""
        wanted, names = self._wanted()
        with self._lock:
            stale = [p for k, p in self._pipelines.items() if wanted.get(k) != p.url]
            for pipeline in stale:
                del self._pipelines[(pipeline.camera_id, pipeline.stream)]
        for pipeline in stale:
            moved = (pipeline.camera_id, pipeline.stream) in wanted
            self._stop_all([pipeline], GAP_RECONNECTING if moved else GAP_DISABLED)
        with self._lock:
            for key, url in wanted.items():
                if key not in self._pipelines and not self._stop.is_set():
                    pipeline = self._build(key, names[key[0]], url)
                    self._pipelines[key] = pipeline
                    pipeline.start()

    # -- queries and extension ----------------------------------------------------------------

    def health(self) -> list[CameraHealth]:
        with self._lock:
            pipelines = sorted(self._pipelines.values(), key=lambda p: (p.camera_id, p.stream))
        return [CameraHealth.of(p) for p in pipelines]

    def attach(
        self, camera_id: int, stream: str, sink: PacketSink, name: str, max_queue: int = 250
    ) -> Callable[[], None]:
        """Feed another consumer (live view, analytics) from a recorded stream's reader."""
        with self._lock:
            pipeline = self._pipelines.get((camera_id, stream))
        if pipeline is None:
            raise KeyError(f"camera {camera_id}/{stream} is not being recorded")
        return pipeline.attach(sink, name, max_queue)

    # -- internals ----------------------------------------------------------------------------

    def _wanted(self) -> tuple[dict[Key, str], dict[int, str]]:
        wanted: dict[Key, str] = {}
        names: dict[int, str] = {}
        with self._db.session() as s:
            for cam in camera_repo.list_filtered(s, enabled=True):
                if not may_pull(cam.kind, cam.consent_tier, cam.enabled, cam.verified):
                    continue  # the owner shares no video, or nobody verified the camera yet
                names[cam.id] = cam.name
                wanted[(cam.id, "main")] = cam.main_url
                if self._config.record_substream and cam.sub_url:
                    wanted[(cam.id, "sub")] = cam.sub_url
        return wanted, names

    def _build(self, key: Key, name: str, url: str) -> StreamPipeline:
        log.info("recording camera %d/%s (%s) from %s", key[0], key[1], name, redact_url(url))
        return StreamPipeline(
            self._db, self._bus, self._root, self._config, key[0], name, key[1], url,
            self._on_disk_full, self._grace, self._now,
        )  # fmt: skip

    def _reconcile(self) -> ReconcileReport:
        with self._db.session() as s:
            ids = [cam.id for cam in camera_repo.list_filtered(s)]
        streams = [(cam_id, stream) for cam_id in ids for stream in ("main", "sub")]
        report = reconcile(self._db, self._root, streams, announce=self._bus.publish)
        if report.changed:
            log.warning("recordings reconciled: %s", report)
        return report

    def _stop_all(self, pipelines: list[StreamPipeline], gap_reason: str) -> None:
        for pipeline in pipelines:
            pipeline.signal_stop()
        timeout = self._config.reconnect.read_timeout_seconds + 10.0
        if not pipelines:
            return
        with ThreadPoolExecutor(max_workers=min(32, len(pipelines))) as pool:
            list(pool.map(lambda p: p.finish_stop(gap_reason, timeout), pipelines))
        for pipeline in pipelines:
            pipeline.health.stopped()

    def _catalog_changed(self, _event: Event) -> None:
        self._dirty.set()  # handled on the watcher thread: never block the publisher

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_SECONDS):
            if self._dirty.is_set():
                self._dirty.clear()
                try:
                    self.reload()
                except Exception:
                    log.exception("reloading cameras failed; will retry on the next change")
                    self._dirty.set()
            with self._lock:
                pipelines = list(self._pipelines.values())
            for pipeline in pipelines:
                self._check(pipeline)

    def _check(self, pipeline: StreamPipeline) -> None:
        snap = pipeline.health.snapshot()
        if snap.state == "offline" and pipeline.offline_since is None:
            pipeline.offline_since = snap.offline_since or snap.since
            why = snap.last_error or "no answer"
            pipeline.index.offline(why)
            log.warning("camera %d/%s (%s) is offline since %s: %s", pipeline.camera_id,
                        pipeline.stream, pipeline.name, snap.offline_since, why)  # fmt: skip
            if pipeline.stream == "main":
                self._bus.publish(
                    CameraWentOffline(pipeline.camera_id, pipeline.offline_since, why)
                )
        elif snap.state in ("online", "paused_disk_full") and pipeline.offline_since is not None:
            down, pipeline.offline_since = pipeline.offline_since, None
            log.warning("camera %d/%s (%s) is back", pipeline.camera_id, pipeline.stream,
                        pipeline.name)  # fmt: skip
            if pipeline.stream == "main":
                self._bus.publish(
                    CameraCameBack(
                        pipeline.camera_id, snap.since, (snap.since - down).total_seconds()
                    )
                )
