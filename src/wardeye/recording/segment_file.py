"""Write one segment: remux packets (no decoding) into a fragmented MP4, then publish it
atomically under its final name.

Why fragmented MP4 (``frag_keyframe+empty_moov+default_base_moof+delay_moov``) rather than a
plain MP4 with ``+faststart``:

* one pass: faststart rewrites the whole file at close to move the index to the front, which
  doubles the disk writes of every camera;
* a crash (kill -9, power cut) leaves a ``.partial`` whose complete fragments are still valid,
  so startup can salvage all but the last GOP (a plain MP4 without its trailing index is lost);
* it plays as is in Chromium (``<video>`` with HTTP range requests, and MSE for live/stitched
  playback), and ffprobe reads its real duration by walking the fragments.

``delay_moov`` lets FFmpeg build the codec configuration (avcC/hvcC) from the first keyframe's
in-band parameter sets, which the reader guarantees every keyframe has.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import av
import av.container

from wardeye.ingest.packets import CLOCK_RATE, TIME_BASE, MediaPacket, StreamInfo
from wardeye.recording.inspect import complete_prefix
from wardeye.recording.layout import partial_path, segment_path

MOVFLAGS = "+frag_keyframe+empty_moov+default_base_moof+delay_moov"
# flush_packets: push each fragment to the file as soon as it is cut, so a kill -9 finds it
# whole on disk (FFmpeg otherwise keeps up to 32 KiB of it in its I/O buffer).
MUX_OPTIONS = {"movflags": MOVFLAGS, "flush_packets": "1"}
IO_BUFFER = 256 * 1024  # a fragment (~1 MB at 4 Mbit/s) reaches the file in a few writes
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS


@dataclass(frozen=True, slots=True)
class FinishedSegment:
    """A segment file in its final place, ready to be indexed."""

    camera_id: int
    stream: str
    path: Path
    start: datetime
    end: datetime
    duration: float  # seconds of media in the file
    bytes: int
    frames: int
    keyframes: int
    codec: str
    width: int
    height: int


class WholeWrites:
    """The file FFmpeg writes a segment through. FFmpeg's own file output ignores short
    writes, which a filling disk produces (a write that fits half its bytes): the file then
    silently misses bytes, and with several cameras freeing and filling the same disk, later
    writes land after the hole. Here every write is completed or raises (ENOSPC included)."""

    def __init__(self, path: Path) -> None:
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    def _handle(self) -> int:
        if self._fd is None:
            raise ValueError("segment file already closed")
        return self._fd

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            done = os.write(self._handle(), view)
            view = view[done:]
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return os.lseek(self._handle(), offset, whence)

    def tell(self) -> int:
        return os.lseek(self._handle(), 0, os.SEEK_CUR)

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(partial: Path, final: Path) -> None:
    """Make a complete file durable, then give it its final name in one atomic step."""
    fsync_path(partial)
    os.replace(partial, final)
    with contextlib.suppress(OSError):  # some filesystems refuse fsync on a directory
        fsync_path(final.parent)


class SegmentWriter:
    """One ``.partial`` file being written; :meth:`finish` or :meth:`abort` ends it."""

    def __init__(self, root: Path, info: StreamInfo, first: MediaPacket) -> None:
        self.info = info
        self._root = root
        # Named after the first packet's time for now; the final name uses the start time
        # settled when the segment is finished (a better estimate, see Segmenter).
        self.partial = partial_path(segment_path(root, info.camera_id, info.stream, first.at))
        self.provisional_start = first.at
        self.base_dts = first.dts
        self.last_end_dts = first.dts
        self.frames = 0
        self.keyframes = 0
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        self._file = WholeWrites(self.partial)
        self._out: av.container.OutputContainer | None = None
        try:
            self._out = av.open(
                self._file, "w", format="mp4", options=MUX_OPTIONS, buffer_size=IO_BUFFER
            )
            rate = Fraction(info.fps).limit_denominator(1001) if info.fps else None
            self._video = self._out.add_mux_stream(
                info.codec, rate=rate, width=info.width, height=info.height
            )
            self._video.time_base = TIME_BASE
        except BaseException:
            self.abort()
            raise

    def elapsed_ticks(self, dts: int) -> int:
        return dts - self.base_dts

    def media_ticks(self, end_dts: int | None = None) -> int:
        """Playing time of the file if it ends at ``end_dts`` (default: after the last packet)."""
        return (self.last_end_dts if end_dts is None else end_dts) - self.base_dts

    def write(self, packet: MediaPacket) -> None:
        assert self._out is not None, "segment already closed"
        out = av.Packet(packet.data)
        out.time_base = TIME_BASE
        out.dts = packet.dts - self.base_dts
        out.pts = max(packet.pts, packet.dts) - self.base_dts
        out.duration = packet.duration
        out.is_keyframe = packet.keyframe
        out.stream = self._video
        self._out.mux(out)
        self.frames += 1
        self.keyframes += int(packet.keyframe)
        self.last_end_dts = packet.dts + packet.duration

    def finish(self, start: datetime, end: datetime, end_dts: int | None) -> FinishedSegment:
        """Close the file (``end_dts``: where the next segment starts, if one does) and rename
        it into place under ``start``'s name. Raises OSError (e.g. a full disk) with the
        partial file left behind."""
        assert self._out is not None, "segment already closed"
        out, self._out = self._out, None
        try:
            out.close()
        finally:
            self._file.close()
        if complete_prefix(self.partial) != self.partial.stat().st_size:
            raise OSError(errno.EIO, "segment file is not a whole fragmented MP4")
        final = segment_path(self._root, self.info.camera_id, self.info.stream, start)
        final.parent.mkdir(parents=True, exist_ok=True)
        publish(self.partial, final)
        return FinishedSegment(
            camera_id=self.info.camera_id,
            stream=self.info.stream,
            path=final,
            start=start,
            end=end,
            duration=self.media_ticks(end_dts) / CLOCK_RATE,
            bytes=final.stat().st_size,
            frames=self.frames,
            keyframes=self.keyframes,
            codec=self.info.codec,
            width=self.info.width,
            height=self.info.height,
        )

    def close_quietly(self) -> None:
        """Release the file after a write error, keeping what is on disk (for salvage)."""
        out, self._out = self._out, None
        if out is not None:
            with contextlib.suppress(Exception):
                out.close()
        self._file.close()

    def abort(self) -> None:
        """Give up this segment: close and delete the partial file."""
        self.close_quietly()
        with contextlib.suppress(FileNotFoundError):
            self.partial.unlink()
