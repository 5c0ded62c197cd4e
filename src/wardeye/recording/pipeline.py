"""One recorded camera stream: reader -> fan-out -> segmenter, with its health and index."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from wardeye.catalog.database import Database
from wardeye.config.models import RecordingConfig
from wardeye.core.bus import EventBus
from wardeye.core.clock import utc_now
from wardeye.ingest.fanout import FanOut
from wardeye.ingest.health import HealthTracker
from wardeye.ingest.packets import CLOSED_STOPPED, PacketSink
from wardeye.ingest.reader import StreamReader
from wardeye.ingest.sources import SourceOptions
from wardeye.recording.index import StreamIndex
from wardeye.recording.segmenter import DiskFullHandler, Segmenter

RECORDER_QUEUE = 1500  # packets (a minute at 25 fps) before the recorder sink is resynced
RECORDER_LINGER = 0.5  # seconds: packets reach the segmenter in batches (fewer wake-ups)


class StreamPipeline:
    """Built stopped; :meth:`start` begins recording, :meth:`stop` finishes the open segment."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        root: Path,
        config: RecordingConfig,
        camera_id: int,
        name: str,
        stream: str,
        url: str,
        on_disk_full: DiskFullHandler | None,
        grace_seconds: float,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.camera_id = camera_id
        self.name = name
        self.stream = stream
        self.url = url
        self.health = HealthTracker(grace_seconds, now)
        self.index = StreamIndex(db, bus, root, camera_id, stream, now)
        self.fanout = FanOut(f"camera {camera_id}/{stream}")
        options = SourceOptions(
            transport=config.rtsp_transport,
            open_timeout=config.reconnect.open_timeout_seconds,
            read_timeout=config.reconnect.read_timeout_seconds,
            rtsp_client=config.rtsp_client,
            read_interval=config.read_interval_seconds,
            live_read_interval=config.live_read_interval_seconds,
        )
        self.reader = StreamReader(
            camera_id, stream, url, self.fanout, self.health, config.reconnect, options
        )
        self._segmenter = Segmenter(
            root, config.segment_seconds, self.index, self.health, on_disk_full
        )
        self.offline_since: datetime | None = None  # set while announced offline

    def start(self) -> None:
        self.index.begin()
        self.fanout.attach(self._segmenter, "recorder", RECORDER_QUEUE, RECORDER_LINGER)
        self.reader.start()

    def attach(self, sink: PacketSink, name: str, max_queue: int) -> Callable[[], None]:
        return self.fanout.attach(sink, name, max_queue)

    def signal_stop(self) -> None:
        self.reader.stop()

    def finish_stop(self, gap_reason: str, timeout: float) -> None:
        """After :meth:`signal_stop`: wait for the reader, drain the sinks (the segmenter
        finishes and indexes the open segment), and mark the gap that starts now."""
        self.reader.join(timeout)
        if self.fanout.stop(timeout):
            # The reader may still be inside a read that outlived the timeout; its close never
            # reached the queue, so finish the open segment here (its thread has ended).
            self._segmenter.stream_closed(CLOSED_STOPPED)
        self.index.stopped(gap_reason)
