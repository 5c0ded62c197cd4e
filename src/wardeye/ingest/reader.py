"""One thread per camera stream: connect, read compressed packets, fan them out, reconnect.

The reader never decodes (except one keyframe when a camera changes its parameters, to learn the
new size) and never waits on its consumers. Failures are logged once per attempt, with
credentials removed, and followed by a backoff wait, so a dead camera costs a line every
``max_seconds`` and no CPU. Open and read timeouts bound every blocking call.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import cast

import av

from wardeye.config.models import ReconnectConfig
from wardeye.core.redact import redact_url
from wardeye.ingest.backoff import Backoff
from wardeye.ingest.connect import StreamConnection, open_connection
from wardeye.ingest.fanout import FanOut
from wardeye.ingest.health import HealthTracker
from wardeye.ingest.nal import has_sps, with_parameter_sets
from wardeye.ingest.packets import (
    CLOCK_RATE,
    CLOSED_PARAMETERS_CHANGED,
    CLOSED_STOPPED,
    MediaPacket,
    StreamInfo,
)
from wardeye.ingest.sources import RawPacket, SourceOptions, describe_error
from wardeye.ingest.timestamps import TimestampNormalizer, WallClock

log = logging.getLogger(__name__)

HEALTHY_RUN_SECONDS = 5.0  # a connection that streamed this long resets the backoff


def keyframe_size(codec: str, data: bytes) -> tuple[int, int] | None:
    """Decode one self-contained keyframe to learn the picture size (parameters changed)."""
    try:
        ctx = cast(av.VideoCodecContext, av.CodecContext.create(codec, "r"))
        frames = ctx.decode(av.Packet(data)) + ctx.decode(None)
    except (av.FFmpegError, ValueError):
        return None
    for frame in frames:
        return int(frame.width), int(frame.height)
    return None


class _Run:
    """State of one connection: what was announced to the sinks, and pacing."""

    def __init__(self, conn: StreamConnection) -> None:
        self.conn = conn
        self.params = conn.parameter_sets
        self.info: StreamInfo | None = None
        self.size = (conn.width, conn.height)
        self.started: float | None = None
        self.pace_origin: tuple[float, int] | None = None


class StreamReader:
    """Reads ``url`` on its own thread until :meth:`stop`; see the module docstring."""

    def __init__(
        self,
        camera_id: int,
        stream: str,
        url: str,
        fanout: FanOut,
        health: HealthTracker,
        reconnect: ReconnectConfig,
        options: SourceOptions,
    ) -> None:
        self.camera_id = camera_id
        self.stream = stream
        self.url = url
        self.name = f"camera {camera_id}/{stream}"
        self._fanout = fanout
        self._health = health
        self._backoff = Backoff(reconnect)
        self._options = options
        self._stop = threading.Event()
        self._conn: StreamConnection | None = None  # the open connection, for stop()
        self._epoch = 0
        self._normalizer = TimestampNormalizer()
        self._clock = WallClock()
        self._thread = threading.Thread(
            target=self._run, name=f"reader-{camera_id}-{stream}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; it does after the current read (at most the read timeout).
        What the camera already sent is recorded first (own client: up to one read interval
        waits in the socket)."""
        self._stop.set()
        conn = self._conn
        if conn is not None:
            conn.finish()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._health.attempting()
            reason, healthy = self._attempt()
            if self._stop.is_set():
                break
            self._health.lost(reason)
            if healthy:
                self._backoff.reset()
            delay = self._backoff.next_delay()
            log.warning("%s: %s (%s); retrying in %.1f s", self.name, reason,
                        redact_url(self.url), delay)  # fmt: skip
            self._stop.wait(delay)
        self._fanout.closed(CLOSED_STOPPED)
        self._health.stopped()

    def _attempt(self) -> tuple[str, bool]:
        """One connection, from open to end. Returns (why it ended, whether it was healthy)."""
        run: _Run | None = None
        try:
            with open_connection(self.url, self._options, self._read_interval) as conn:
                self._conn = conn
                if self._stop.is_set():
                    conn.finish()  # stopped while connecting
                run = _Run(conn)
                self._normalizer.restart()
                self._normalizer.expect_fps(conn.fps)
                self._clock.restart()
                for raw in conn.packets():
                    if self._stop.is_set() and not conn.drains_on_stop:
                        break
                    self._handle(run, raw)
            reason = "stream ended"
        except Exception as exc:  # every failure is a reason to reconnect, never to die
            reason = describe_error(exc, self.url)
        finally:
            self._conn = None
        if run is not None and run.info is not None:
            self._fanout.closed(CLOSED_STOPPED if self._stop.is_set() else reason)
        started = None if run is None else run.started
        healthy = started is not None and time.monotonic() - started >= HEALTHY_RUN_SECONDS
        return reason, healthy

    def _read_interval(self) -> float:
        """Batch reads while only recording and analytics listen; near real time for viewers."""
        if self._fanout.low_latency_wanted():
            return min(self._options.live_read_interval, self._options.read_interval)
        return self._options.read_interval

    def _handle(self, run: _Run, raw: RawPacket) -> None:
        stamped = self._normalizer.push(
            raw.pts, raw.dts, None if run.conn.paced else time.monotonic()
        )
        if stamped is None:
            return
        data = raw.data
        if raw.keyframe:
            data = self._keyframe(run, data)
        if run.info is None:
            return  # nothing is sent before the first keyframe with its parameter sets
        if run.conn.paced and not self._pace(run, stamped.dts):
            return
        packet = MediaPacket(
            data=data,
            pts=stamped.pts,
            dts=stamped.dts,
            duration=stamped.duration,
            keyframe=raw.keyframe,
            at=self._clock.at(stamped.dts, time.time()),
        )
        self._health.packet(len(data), raw.keyframe)
        self._fanout.packet(packet)

    def _keyframe(self, run: _Run, data: bytes) -> bytes:
        codec = run.conn.codec
        data, found = with_parameter_sets(codec, data, run.params)
        if not found or not has_sps(codec, found):
            return data
        if run.info is not None and found != run.params:
            size = keyframe_size(codec, data) or run.size
            log.info("%s: stream parameters changed (%dx%d -> %dx%d); new segment", self.name,
                     run.size[0], run.size[1], size[0], size[1])  # fmt: skip
            self._fanout.closed(CLOSED_PARAMETERS_CHANGED)
            run.info, run.size = None, size
        run.params = found
        if run.info is None:
            if not run.size[0]:  # the client could not tell the size before the first frame
                run.size = keyframe_size(codec, data) or run.size
            self._announce(run)
        return data

    def _announce(self, run: _Run) -> None:
        conn = run.conn
        self._epoch += 1
        run.info = StreamInfo(
            camera_id=self.camera_id,
            stream=self.stream,
            codec=conn.codec,
            width=run.size[0],
            height=run.size[1],
            fps=conn.fps,
            parameter_sets=run.params,
            source=redact_url(self.url),
            epoch=self._epoch,
        )
        if run.started is None:
            run.started = time.monotonic()
            self._health.streaming(conn.codec, run.size[0], run.size[1])
            log.info("%s: streaming %s %dx%d from %s", self.name, conn.codec, run.size[0],
                     run.size[1], redact_url(self.url))  # fmt: skip
        self._fanout.opened(run.info)

    def _pace(self, run: _Run, dts: int) -> bool:
        """Play a file in real time: wait until this packet's moment. False when stopping."""
        if run.pace_origin is None:
            run.pace_origin = (time.monotonic(), dts)
        origin, origin_dts = run.pace_origin
        delay = origin + (dts - origin_dts) / CLOCK_RATE - time.monotonic()
        return not (delay > 0 and self._stop.wait(delay))
