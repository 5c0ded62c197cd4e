"""Write one segment: remux packets (no decoding) into a fragmented MP4, then publish it
atomically under its final name.

Why fragmented MP4 (ftyp + moov with an empty sample table, then one moof+mdat per GOP, then an
mfra index), the layout FFmpeg writes with ``frag_keyframe+empty_moov+default_base_moof``, rather
than a plain MP4 with ``+faststart``:

* one pass: faststart rewrites the whole file at close to move the index to the front, which
  doubles the disk writes of every camera;
* a crash (kill -9, power cut) leaves a ``.partial`` whose complete fragments are still valid,
  so startup can salvage all but the last GOP (a plain MP4 without its trailing index is lost);
* it plays as is in Chromium (``<video>`` with HTTP range requests, and MSE for live/stitched
  playback), and ffprobe reads its real duration by walking the fragments.

The boxes are built here (``wardeye.mp4``) rather than by libavformat's muxer: recording is the
one job every camera does all the time, and muxing through PyAV cost an ``av.Packet`` and a copy
per frame plus the muxer's own buffering. Here a frame costs one list append; each GOP becomes
one moof+mdat written with one system call. The codec configuration (avcC/hvcC) comes from the
first keyframe's in-band parameter sets, which the reader guarantees every keyframe has.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from wardeye.ingest.nal import parameter_sets
from wardeye.ingest.packets import CLOCK_RATE, MediaPacket, StreamInfo
from wardeye.mp4.codecs import UnsupportedCodec, decoder_config
from wardeye.mp4.fmp4 import Sample, Track, fragment, init_segment, random_access_index
from wardeye.recording.inspect import complete_prefix
from wardeye.recording.layout import partial_path, segment_path

# A fragment is cut at every keyframe, and also after this much media so a camera with a very
# long GOP neither holds minutes of video in memory nor loses them to a crash.
MAX_FRAGMENT_TICKS = 4 * CLOCK_RATE
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
    """A segment file whose every write is completed or raises (ENOSPC included). A filling disk
    produces short writes (a write that fits half its bytes); ignoring one, as FFmpeg's file
    output does, leaves a hole that later writes land after when several cameras free and fill
    the same disk."""

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
        self._pending: list[Sample] = []  # the fragment being gathered
        self._sync_fragments: list[tuple[int, int]] = []  # (time, moof offset) for the mfra
        self._sequence = 0
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        self._file: WholeWrites | None = WholeWrites(self.partial)
        try:
            sets = parameter_sets(info.codec, first.data) or info.parameter_sets
            try:
                config = decoder_config(info.codec, sets)
            except UnsupportedCodec as exc:
                raise OSError(errno.EINVAL, f"cannot package the stream as MP4: {exc}") from exc
            head = init_segment(Track(config, info.width, info.height))
            self._file.write(head)
            self._offset = len(head)
        except BaseException:
            self.abort()
            raise

    def elapsed_ticks(self, dts: int) -> int:
        return dts - self.base_dts

    def media_ticks(self, end_dts: int | None = None) -> int:
        """Playing time of the file if it ends at ``end_dts`` (default: after the last packet)."""
        return (self.last_end_dts if end_dts is None else end_dts) - self.base_dts

    def write(self, packet: MediaPacket) -> None:
        pending = self._pending
        if pending:
            self._end_last_sample_at(packet.dts - self.base_dts)
            if packet.keyframe or packet.dts - pending[0].dts >= MAX_FRAGMENT_TICKS:
                self._flush()
        dts = packet.dts - self.base_dts
        pts = max(packet.pts, packet.dts) - self.base_dts
        self._pending.append(Sample(packet.data, dts, pts, packet.duration, packet.keyframe))
        self.frames += 1
        self.keyframes += packet.keyframe
        self.last_end_dts = packet.dts + packet.duration

    def _end_last_sample_at(self, dts: int) -> None:
        """A sample lasts until the next one starts (as libavformat's muxer does it): an MP4
        track's timeline is the sum of its durations, and a packet's own duration is only the
        reader's estimate from the step before it. A wrong estimate would shift every later
        frame of the fragment and leave a hole or an overlap at the next one."""
        last = self._pending[-1]
        if dts > last.dts and dts - last.dts != last.duration:
            self._pending[-1] = Sample(last.data, last.dts, last.pts, dts - last.dts, last.keyframe)

    def _flush(self) -> None:
        """Write the gathered frames as one moof+mdat (one system call for the whole GOP)."""
        if self._file is None:
            raise ValueError("segment already closed")
        samples, self._pending = self._pending, []
        self._sequence += 1
        data = fragment(self._sequence, samples)
        self._file.write(data)
        if samples[0].keyframe:
            self._sync_fragments.append((samples[0].pts, self._offset))
        self._offset += len(data)

    def finish(self, start: datetime, end: datetime, end_dts: int | None) -> FinishedSegment:
        """Close the file (``end_dts``: where the next segment starts, if one does) and rename
        it into place under ``start``'s name. Raises OSError (e.g. a full disk) with the
        partial file left behind."""
        if self._file is None:
            raise ValueError("segment already closed")
        try:
            if self._pending:
                if end_dts is not None:
                    self._end_last_sample_at(end_dts - self.base_dts)
                self._flush()
            self._file.write(random_access_index(self._sync_fragments))
        finally:
            self._file.close()
            self._file = None
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
        file, self._file = self._file, None
        self._pending = []
        if file is not None:
            file.close()

    def abort(self) -> None:
        """Give up this segment: close and delete the partial file."""
        self.close_quietly()
        with contextlib.suppress(FileNotFoundError):
            self.partial.unlink()
