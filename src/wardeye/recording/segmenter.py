"""The recording sink: cuts a camera's packets into segments on keyframes and indexes them.

A segment starts on a keyframe and ends at the first keyframe at or after ``segment_seconds``,
so every file plays on its own. When the camera's run ends the open segment is finished and
indexed (nothing already received is dropped), and a gap opens until footage resumes.

A full disk never stops the process: the writer's file is closed, ``on_disk_full(bytes)`` (the
retention service) is asked to make room, and the interrupted file is salvaged up to its last
complete fragment. If no room can be made the stream is paused (health ``paused_disk_full``, one
log line) and retried every ``DISK_RETRY_SECONDS``; it resumes on the next keyframe.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from wardeye.ingest.health import HealthTracker
from wardeye.ingest.packets import (
    CLOCK_RATE,
    CLOSED_OVERFLOW,
    CLOSED_PARAMETERS_CHANGED,
    CLOSED_STOPPED,
    MediaPacket,
    StreamInfo,
    ticks_to_delta,
)
from wardeye.recording.index import GAP_DISK_FULL, GAP_OVERLOADED, GAP_RECONNECTING, StreamIndex
from wardeye.recording.inspect import salvage
from wardeye.recording.layout import segment_path
from wardeye.recording.segment_file import FinishedSegment, SegmentWriter, is_disk_full, publish

log = logging.getLogger(__name__)

DiskFullHandler = Callable[[int], bool]
DISK_RETRY_SECONDS = 5.0
ERROR_RETRY_SECONDS = 5.0
MIN_ROOM_BYTES = 8 * 1024 * 1024  # never ask for less than this (2 segments is the rule)


class Segmenter:
    """PacketSink for one camera stream. Runs on its fan-out delivery thread only."""

    def __init__(
        self,
        root: Path,
        segment_seconds: float,
        index: StreamIndex,
        health: HealthTracker,
        on_disk_full: DiskFullHandler | None = None,
        disk_retry_seconds: float = DISK_RETRY_SECONDS,
        min_room_bytes: int = MIN_ROOM_BYTES,
    ) -> None:
        self._root = root
        self._target = round(segment_seconds * CLOCK_RATE)
        self._index = index
        self._health = health
        self._on_disk_full = on_disk_full
        self._disk_retry = disk_retry_seconds
        self._min_room = min_room_bytes
        self.name = f"camera {index.camera_id}/{index.stream}"
        self._info: StreamInfo | None = None
        self._writer: SegmentWriter | None = None
        self._paused_until: float | None = None  # monotonic time of the next disk check
        self._error_until = 0.0
        self._bytes_per_second = 0.0
        self._run_end: datetime | None = None  # end of the last segment of this unbroken run
        self._last: MediaPacket | None = None  # the last packet written

    # -- PacketSink ---------------------------------------------------------------------------

    def stream_opened(self, info: StreamInfo) -> None:
        self._info = info

    def packet(self, packet: MediaPacket) -> None:
        if self._info is None or not self._may_write(packet):
            return
        writer = self._writer
        due = self._target - packet.duration // 2  # half a frame early is on time
        if writer is not None and packet.keyframe and writer.elapsed_ticks(packet.dts) >= due:
            self._finish(packet.dts, packet.at)
            if not self._may_write(packet):
                return
        try:
            if self._writer is None:
                self._writer = SegmentWriter(self._root, self._info, packet)
            self._writer.write(packet)
            self._last = packet
        except OSError as exc:
            self._write_failed(exc)

    def stream_closed(self, reason: str) -> None:
        last = self._last
        if self._writer is not None and last is not None:
            self._finish(None, last.at + ticks_to_delta(last.duration))
        self._info = None
        if reason != CLOSED_PARAMETERS_CHANGED:
            self._run_end = None  # a parameter change goes on seamlessly; anything else is a cut
        if reason in (CLOSED_STOPPED, CLOSED_PARAMETERS_CHANGED):
            return  # the recorder marks its own stop; a parameter change is seamless
        self._index.interrupted(GAP_OVERLOADED if reason == CLOSED_OVERFLOW else GAP_RECONNECTING)

    # -- segments -----------------------------------------------------------------------------

    def _finish(self, end_dts: int | None, end_at: datetime) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        start, end = self._bounds(ticks_to_delta(writer.media_ticks(end_dts)), end_at)
        try:
            finished = writer.finish(start, end, end_dts)
        except OSError as exc:
            self._writer = writer
            self._write_failed(exc)
            return
        self._run_end = finished.end
        if finished.duration > 0:
            self._bytes_per_second = finished.bytes / finished.duration
        self._index.segment_finished(finished)

    def _bounds(self, media: timedelta, end_at: datetime) -> tuple[datetime, datetime]:
        """Wall-clock bounds of a finished segment. Within a run segments meet exactly (the
        start is the previous end). The first of a run is placed by its end, measured with the
        best capture-time estimate, minus its playing time, and never before footage already
        indexed: so a burst at connect does not make it look late."""
        if self._run_end is not None:
            start = self._run_end
        else:
            start = end_at - media
            floor = self._index.last_end
            if floor is not None and start < floor:
                start = floor
        end = end_at if end_at > start else start + media
        return start, end

    # -- failures -----------------------------------------------------------------------------

    def _may_write(self, packet: MediaPacket) -> bool:
        """False while paused (disk full) or backing off after a write error."""
        now = time.monotonic()
        if self._paused_until is not None:
            if now < self._paused_until or not packet.keyframe:
                return False
            if not self._room_available():
                self._paused_until = now + self._disk_retry
                return False
            self._paused_until = None
            self._health.set_paused(False)
            log.warning("%s: disk space available again; recording resumed", self.name)
        return self._writer is not None or (packet.keyframe and now >= self._error_until)

    def _write_failed(self, exc: OSError) -> None:
        writer, self._writer = self._writer, None
        self._run_end = None  # what follows is placed afresh, after the gap
        if not is_disk_full(exc):
            log.error("%s: cannot write segment (%s); retrying in %.0f s", self.name,
                      exc.strerror or exc, ERROR_RETRY_SECONDS)  # fmt: skip
            if writer is not None:
                self._keep_what_is_whole(writer)
            self._index.interrupted(f"recording error: {exc.strerror or exc}")
            self._error_until = time.monotonic() + ERROR_RETRY_SECONDS
            return
        if writer is not None:
            writer.close_quietly()
        freed = self._ask_for_room()
        if writer is not None:
            if freed:
                self._keep_what_is_whole(writer)
            else:
                writer.abort()  # its bytes may be what lets the next segment fit
        self._index.interrupted(GAP_DISK_FULL)
        if not freed and not self._room_available():
            self._paused_until = time.monotonic() + self._disk_retry
            self._health.set_paused(True)
            log.error("%s: disk full and no footage could be freed; recording paused, "
                      "retrying every %.0f s", self.name, self._disk_retry)  # fmt: skip

    def _keep_what_is_whole(self, writer: SegmentWriter) -> None:
        """Salvage an interrupted segment up to its last complete fragment, and index that."""
        writer.close_quietly()
        facts = salvage(writer.partial)
        if facts is None:
            writer.abort()
            return
        floor = self._index.last_end
        start = writer.provisional_start
        start = floor if floor is not None and start < floor else start
        final = segment_path(self._root, writer.info.camera_id, writer.info.stream, start)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            publish(writer.partial, final)
        except OSError:
            writer.abort()
            return
        self._index.segment_finished(
            FinishedSegment(
                camera_id=writer.info.camera_id,
                stream=writer.info.stream,
                path=final,
                start=start,
                end=start + timedelta(seconds=facts.duration),
                duration=facts.duration,
                bytes=final.stat().st_size,
                frames=facts.frames,
                keyframes=facts.keyframes,
                codec=facts.codec,
                width=facts.width,
                height=facts.height,
            )
        )

    def _wanted_bytes(self) -> int:
        per_segment = self._bytes_per_second * self._target / CLOCK_RATE
        return max(self._min_room, int(per_segment * 2))

    def _ask_for_room(self) -> bool:
        if self._on_disk_full is None:
            return False
        try:
            return bool(self._on_disk_full(self._wanted_bytes()))
        except Exception:
            log.exception("%s: the disk-full handler failed", self.name)
            return False

    def _room_available(self) -> bool:
        if self._ask_for_room():
            return True
        try:
            return shutil.disk_usage(self._root).free >= self._wanted_bytes()
        except OSError:
            return False
