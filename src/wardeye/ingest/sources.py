"""Open a camera stream (RTSP/HTTP) or a local video file and yield its compressed packets.

Everything that leaves here is Annex-B with 90 kHz timestamps, whatever the source wrapped it
in: MP4 files (and HTTP MP4) carry length-prefixed NAL units, which FFmpeg's ``*_mp4toannexb``
filter rewrites (also putting the parameter sets in front of each keyframe). A file source is
``paced`` (the reader plays it in real time) and ``loops`` forever, so ``wardeye demo`` records a
file exactly like a camera. Nothing here retries: the reader owns reconnects and backoff.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import av
import av.container
import av.error
import av.video.stream

from wardeye.core.closing import Closing
from wardeye.core.redact import redact_url
from wardeye.ingest.nal import SUPPORTED_CODECS, is_annexb, parameter_sets
from wardeye.ingest.packets import CLOCK_RATE

_USERINFO = re.compile(r"([a-z][a-z0-9+.-]*://)[^/\s@'\"]+@", re.IGNORECASE)


class SourceError(Exception):
    """A stream that can be reached but cannot be recorded (no video, unsupported codec)."""


@dataclass(frozen=True, slots=True)
class SourceOptions:
    transport: Literal["tcp", "udp"] = "tcp"
    open_timeout: float = 10.0
    read_timeout: float = 10.0
    rtsp_client: Literal["wardeye", "ffmpeg"] = "wardeye"  # who reads RTSP over TCP
    read_interval: float = 0.5  # own client: seconds between socket reads while nobody watches
    live_read_interval: float = 0.04  # ... and while someone watches live (about a frame)


@dataclass(frozen=True, slots=True)
class RawPacket:
    data: bytes
    pts: int | None  # 90 kHz
    dts: int | None
    keyframe: bool


def is_file_source(url: str) -> bool:
    """``file://`` URLs and plain paths are local files, played like a camera."""
    scheme = urlsplit(url).scheme
    return scheme == "file" or scheme == "" or (len(scheme) == 1 and url[1:3] == ":\\")


def file_path(url: str) -> Path:
    parts = urlsplit(url)
    return Path(unquote(parts.path)) if parts.scheme == "file" else Path(url)


def describe_error(exc: BaseException, url: str) -> str:
    """One line for logs and health, with any credentials removed."""
    if isinstance(exc, av.FFmpegError):
        text = exc.strerror or type(exc).__name__
        if isinstance(exc, av.error.ExitError | av.error.TimeoutError):
            text = "timed out"
    else:
        text = str(exc) or type(exc).__name__
    text = text.replace(url, redact_url(url))
    return _USERINFO.sub(r"\1***@", text).strip()


def _to_ticks(value: int | None, time_base: Fraction) -> int | None:
    if value is None:
        return None
    return value * time_base.numerator * CLOCK_RATE // time_base.denominator


class Connection(Closing):
    """One open stream. Use as a context manager; iterate :meth:`packets` until it ends."""

    drains_on_stop = False  # a stop ends it at the next packet (FFmpeg reads as data comes)

    def finish(self) -> None:
        """Nothing to hand over: FFmpeg passes packets on as they arrive."""

    def __init__(self, url: str, options: SourceOptions) -> None:
        self.url = url
        self.paced = is_file_source(url)
        self._container = self._open(url, options)
        try:
            self._video = self._pick_video(self._container)
        except BaseException:
            self._container.close()
            raise
        ctx = self._video.codec_context
        self.codec: str = ctx.name
        self.width: int = ctx.width
        self.height: int = ctx.height
        rate = self._video.average_rate or self._video.guessed_rate
        self.fps: float | None = float(rate) if rate else None
        extradata = ctx.extradata or b""
        self._bsf: av.BitStreamFilterContext | None = None
        self.parameter_sets = b""
        if extradata and not is_annexb(extradata):
            self._bsf = av.BitStreamFilterContext(f"{self.codec}_mp4toannexb", self._video)
        elif extradata:
            self.parameter_sets = parameter_sets(self.codec, extradata)

    @staticmethod
    def _open(url: str, options: SourceOptions) -> av.container.InputContainer:
        """PyAV's own timeout bounds the open only: its check takes the GIL each time FFmpeg
        polls (hundreds of times a second per camera), which cost more CPU than the rest of
        the recorder. Reads are bounded by FFmpeg's socket timeout instead, with no GIL.
        FFmpeg's RTSP reader gives up after two socket timeouts in a row (measured: a hung
        TCP connection is reported after 2x ``timeout``), so RTSP gets half the read timeout."""
        if is_file_source(url):
            return av.open(str(file_path(url)))
        micros = int(options.read_timeout * 1_000_000)
        opts: dict[str, str] = {}
        if url.lower().startswith("rtsp"):
            opts["rtsp_transport"] = options.transport
            opts["timeout"] = str(micros // 2)
        else:
            opts["timeout"] = opts["rw_timeout"] = str(micros)
        return av.open(url, options=opts, timeout=(options.open_timeout, None))

    @staticmethod
    def _pick_video(container: av.container.InputContainer) -> av.video.stream.VideoStream:
        if not container.streams.video:
            raise SourceError("the stream has no video")
        video = container.streams.video[0]
        if video.codec_context.name not in SUPPORTED_CODECS:
            raise SourceError(
                f"video codec {video.codec_context.name!r} cannot be recorded without "
                "transcoding (set the camera to H.264 or H.265)"
            )
        return video

    def packets(self) -> Iterator[RawPacket]:
        """Packets until the stream ends; a file source starts over at its end, forever."""
        while True:
            yield from self._demux_once()
            if not self.paced:
                return
            self._container.seek(0)

    def _demux_once(self) -> Iterator[RawPacket]:
        base = self._video.time_base or Fraction(1, CLOCK_RATE)
        for packet in self._container.demux(self._video):
            if packet.size == 0:
                continue
            for out in self._bsf.filter(packet) if self._bsf else (packet,):
                yield RawPacket(
                    bytes(out), _to_ticks(out.pts, base), _to_ticks(out.dts, base), out.is_keyframe
                )

    def close(self) -> None:
        self._container.close()
