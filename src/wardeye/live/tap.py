"""Where live viewers get packets from. A recorded stream: the recorder's own reader (one
camera connection for recording and every viewer). A stream nobody records (usually the sub
stream): a live-only reader started for the first viewer and stopped when the last one goes,
still one connection however many watch.

The tap is also the gate: a camera whose video may not be pulled (``core.consent.may_pull``:
disabled, unverified, or a household camera whose owner does not share live) is never
opened, whoever asks."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from wardeye.catalog import cameras as camera_repo
from wardeye.catalog.database import Database
from wardeye.config.models import RecordingConfig
from wardeye.core.consent import may_pull
from wardeye.ingest.fanout import FanOut
from wardeye.ingest.health import HealthTracker
from wardeye.ingest.packets import PacketSink
from wardeye.ingest.reader import StreamReader
from wardeye.ingest.sources import SourceOptions

log = logging.getLogger(__name__)
Detach = Callable[[], None]
# Attach a sink to the recorder's reader of (camera, stream); KeyError when not recorded.
RecordedAttach = Callable[[int, str, PacketSink, str], Detach]
LIVE_QUEUE = 250  # packets (10 s at 25 fps) before a slow live sink is resynced


@dataclass(frozen=True, slots=True)
class Attachment:
    detach: Detach
    recorded: bool  # the reader runs anyway (recording): no reason to ever detach


@dataclass
class _LiveOnly:
    reader: StreamReader
    fanout: FanOut
    health: HealthTracker
    users: int = 0


class RecorderTap:
    """StreamTap over the recorder, with live-only readers for streams it does not record."""

    def __init__(
        self,
        db: Database,
        recorded: RecordedAttach,
        config: RecordingConfig,
        grace_seconds: float = 5.0,
    ) -> None:
        self._db = db
        self._recorded = recorded
        self._config = config
        self._grace = grace_seconds
        self._lock = threading.Lock()
        self._live_only: dict[tuple[int, str], _LiveOnly] = {}

    def attach(self, camera_id: int, stream: str, sink: PacketSink, name: str) -> Attachment | None:
        if self.refusal(camera_id) is not None:
            return None
        try:
            return Attachment(self._recorded(camera_id, stream, sink, name), recorded=True)
        except KeyError:
            pass
        url = self._url(camera_id, stream)
        if url is None:
            return None
        key = (camera_id, stream)
        with self._lock:
            entry = self._live_only.get(key)
            if entry is None:
                entry = self._start(camera_id, stream, url)
                self._live_only[key] = entry
            entry.users += 1
            detach_sink = entry.fanout.attach(sink, name, LIVE_QUEUE)

        def detach() -> None:
            detach_sink()
            self._release(key, entry)

        return Attachment(detach, recorded=False)

    def health(self) -> list[tuple[int, str, HealthTracker]]:
        """Live-only readers, for the health page (the recorder reports its own)."""
        with self._lock:
            return [(k[0], k[1], e.health) for k, e in self._live_only.items()]

    def stop(self) -> None:
        with self._lock:
            entries, self._live_only = list(self._live_only.values()), {}
        for entry in entries:
            self._stop(entry)

    def refusal(self, camera_id: int) -> str | None:
        """Why this camera's video may not be pulled now, or None when it may."""
        with self._db.session() as session:
            camera = camera_repo.get(session, camera_id)
            if camera is None:
                return f"camera {camera_id} was removed"
            if not camera.enabled:
                return f"camera {camera.name!r} was disabled"
            if not camera.verified:
                return f"camera {camera.name!r} has not been verified by an admin"
            if not may_pull(camera.kind, camera.consent_tier, camera.enabled, camera.verified):
                return (
                    f"the owner of {camera.name!r} no longer shares its video "
                    f"(consent tier {camera.consent_tier})"
                )
            return None

    def _url(self, camera_id: int, stream: str) -> str | None:
        with self._db.session() as session:
            camera = camera_repo.get(session, camera_id)
            if camera is None or not may_pull(
                camera.kind, camera.consent_tier, camera.enabled, camera.verified
            ):
                return None
            return camera.main_url if stream == "main" else camera.sub_url

    def _start(self, camera_id: int, stream: str, url: str) -> _LiveOnly:
        fanout = FanOut(f"live camera {camera_id}/{stream}")
        health = HealthTracker(self._grace)
        options = SourceOptions(
            transport=self._config.rtsp_transport,
            open_timeout=self._config.reconnect.open_timeout_seconds,
            read_timeout=self._config.reconnect.read_timeout_seconds,
            rtsp_client=self._config.rtsp_client,
            read_interval=self._config.read_interval_seconds,
            live_read_interval=self._config.live_read_interval_seconds,
        )
        reader = StreamReader(
            camera_id, stream, url, fanout, health, self._config.reconnect, options
        )
        log.info("live: opening camera %d/%s for viewers (not recorded)", camera_id, stream)
        reader.start()
        return _LiveOnly(reader, fanout, health)

    def _release(self, key: tuple[int, str], entry: _LiveOnly) -> None:
        with self._lock:
            entry.users -= 1
            if entry.users > 0 or self._live_only.get(key) is not entry:
                return
            del self._live_only[key]
        log.info("live: closing camera %d/%s (no viewers left)", *key)
        self._stop(entry)

    def _stop(self, entry: _LiveOnly) -> None:
        entry.reader.stop()
        threading.Thread(
            target=self._finish, args=(entry,), name="live-reader-stop", daemon=True
        ).start()

    def _finish(self, entry: _LiveOnly) -> None:
        entry.reader.join(self._config.reconnect.read_timeout_seconds + 5)
        entry.fanout.stop(5.0)
        entry.health.stopped()
