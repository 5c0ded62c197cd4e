"""Probe a camera before it is added: what it sends (codec, size, fps, bitrate, keyframe
interval, audio) and whether WardEye can record it, or a plain-words reason why not.

Why a TCP check before PyAV: FFmpeg reports a wrong host name, a refused port and a garbage
reply all as "Input/output error" or "Invalid data"; checking the socket first lets the admin
see which one it is. Credentials never reach a log or an error message: every message names the
camera by ``redact_url`` and FFmpeg's own exceptions (which carry the full URL) are not chained.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import urlsplit

import av
import av.error
from av.video.stream import VideoStream

from wardeye.core.errors import WardEyeError
from wardeye.core.redact import redact_url

log = logging.getLogger(__name__)

RECORDABLE_CODECS = {"h264": "H.264", "hevc": "H.265"}
DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}
MAX_GOOD_KEYFRAME_SECONDS = 4.0
HEAVY_BITRATE = 16_000_000


class ProbeError(WardEyeError):
    """The camera could not be probed; the message says why, without credentials."""


class CameraUnreachable(ProbeError):
    """Host unknown, port closed, or no route."""


class AuthenticationFailed(ProbeError):
    """The camera answered 401: user name or password wrong (or missing)."""


class StreamNotFound(ProbeError):
    """The camera answered but has no stream at that path (404)."""


class NotAVideoStream(ProbeError):
    """Something answered, but not with a video stream we can read."""


class ProbeTimeout(ProbeError):
    """The camera accepted the connection and then said nothing in time."""


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What a camera stream carries, measured over a few seconds of real packets."""

    url: str  # redacted
    codec: str
    profile: str | None
    width: int
    height: int
    fps: float | None
    bitrate_bps: int | None
    keyframe_interval_s: float | None
    has_audio: bool
    audio_codec: str | None
    sampled_seconds: float
    packets: int
    recordable: bool
    reasons: tuple[str, ...]  # why it cannot be recorded (empty when recordable)
    warnings: tuple[str, ...]  # recordable, but worth fixing on the camera


@dataclass(slots=True)
class _Sample:
    """Video packets read during the probe: sizes and keyframe times in seconds."""

    packets: int = 0
    bytes: int = 0
    first: float | None = None
    last: float | None = None
    keyframes: list[float] | None = None

    def add(self, seconds: float, size: int, keyframe: bool) -> None:
        self.packets += 1
        self.bytes += size
        self.first = seconds if self.first is None else min(self.first, seconds)
        self.last = seconds if self.last is None else max(self.last, seconds)
        if keyframe:
            if self.keyframes is None:
                self.keyframes = []
            self.keyframes.append(seconds)

    @property
    def span(self) -> float:
        return 0.0 if self.first is None or self.last is None else self.last - self.first

    @property
    def keyframe_count(self) -> int:
        return len(self.keyframes or ())


def probe(
    url: str, timeout: float = 10.0, sample_seconds: float = 3.0, transport: str = "tcp"
) -> ProbeResult:
    """Open ``url``, read about ``sample_seconds`` of packets (at least two keyframes when they
    come within the time left) and describe the stream. Raises a ProbeError subclass."""
    shown = redact_url(url)
    deadline = time.monotonic() + timeout
    check_reachable(url, timeout)
    log.info("probing %s", shown)
    container = _open(url, shown, deadline, transport)
    try:
        video = next(iter(container.streams.video), None)
        if video is None:
            raise NotAVideoStream(f"{shown} has no video track")
        sample = _read(container, video, shown, deadline, sample_seconds)
        return _describe(shown, container, video, sample)
    finally:
        container.close()


def check_reachable(url: str, timeout: float) -> None:
    """Resolve the host and open a TCP connection to its port; raise CameraUnreachable."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return  # a file path or a scheme we leave to FFmpeg
    shown = redact_url(url)
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise CameraUnreachable(f"{shown}: the port is not a number") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise CameraUnreachable(f"{shown}: host name {parts.hostname!r} not found") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except TimeoutError:
            raise CameraUnreachable(
                f"{shown}: no answer from the host within {timeout:g} s"
            ) from None
        except ConnectionRefusedError:
            raise CameraUnreachable(f"{shown}: connection refused on port {port}") from None
        except OSError as exc:
            raise CameraUnreachable(f"{shown}: {exc.strerror or 'cannot connect'}") from None


def _open(url: str, shown: str, deadline: float, transport: str) -> av.container.InputContainer:
    remaining = max(0.5, deadline - time.monotonic())
    options = {"rtsp_transport": transport} if url.startswith("rtsp") else {}
    started = time.monotonic()
    try:
        return av.open(url, options=options, timeout=(remaining, remaining))
    except av.error.HTTPUnauthorizedError:
        raise AuthenticationFailed(
            f"{shown}: the camera refused the user name or password (401)"
        ) from None
    except av.error.HTTPForbiddenError:
        raise AuthenticationFailed(f"{shown}: access forbidden (403)") from None
    except av.error.HTTPNotFoundError:
        raise StreamNotFound(f"{shown}: no stream at this path (404)") from None
    except av.error.ConnectionRefusedError:
        raise CameraUnreachable(f"{shown}: connection refused") from None
    except av.error.FFmpegError as exc:
        if time.monotonic() - started >= remaining - 0.05:
            raise ProbeTimeout(
                f"{shown}: connected, but no stream description within {remaining:.0f} s"
            ) from None
        raise NotAVideoStream(
            f"{shown}: the server did not answer like a camera stream ({exc.strerror})"
        ) from None


def _read(
    container: av.container.InputContainer,
    video: VideoStream,
    shown: str,
    deadline: float,
    sample_seconds: float,
) -> _Sample:
    """Demux until the sample is long enough and holds two keyframes, or time runs out."""
    sample = _Sample()
    time_base = video.time_base or Fraction(1, 90_000)
    try:
        for packet in container.demux(video):
            if packet.pts is not None and packet.size:
                sample.add(float(packet.pts * time_base), packet.size, packet.is_keyframe)
            enough = sample.span >= sample_seconds
            if (enough and sample.keyframe_count >= 2) or time.monotonic() >= deadline:
                break
            if sample.span >= 4 * sample_seconds:
                break
    except av.error.FFmpegError as exc:
        if sample.packets == 0:
            raise ProbeTimeout(
                f"{shown}: stream opened but no video arrived ({exc.strerror})"
            ) from None
    if sample.packets == 0:
        raise ProbeTimeout(f"{shown}: stream opened but no video packet arrived in time")
    return sample


def _describe(
    shown: str, container: av.container.InputContainer, video: VideoStream, s: _Sample
) -> ProbeResult:
    ctx = video.codec_context
    codec = ctx.name
    audio = next((st for st in container.streams if st.type == "audio"), None)
    rate = video.average_rate or video.guessed_rate
    fps = float(rate) if rate else (s.packets - 1) / s.span if s.span else None
    frame = 1.0 / fps if fps else 0.0
    duration = s.span + frame
    bitrate = int(s.bytes * 8 / duration) if duration > 0 else None
    gaps = [b - a for a, b in zip(s.keyframes or [], (s.keyframes or [])[1:], strict=False)]
    interval = sum(gaps) / len(gaps) if gaps else None
    reasons, warnings = _judge(codec, ctx.width, ctx.height, interval, bitrate, s)
    return ProbeResult(
        url=shown,
        codec=codec,
        profile=ctx.profile,
        width=ctx.width,
        height=ctx.height,
        fps=round(fps, 3) if fps else None,
        bitrate_bps=bitrate,
        keyframe_interval_s=round(interval, 3) if interval is not None else None,
        has_audio=audio is not None,
        audio_codec=audio.codec_context.name if audio is not None else None,
        sampled_seconds=round(duration, 3),
        packets=s.packets,
        recordable=not reasons,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
    )


def _judge(
    codec: str,
    width: int,
    height: int,
    interval: float | None,
    bitrate: int | None,
    s: _Sample,
) -> tuple[list[str], list[str]]:
    """Blocking reasons and warnings, in words an admin can act on at the camera."""
    reasons: list[str] = []
    warnings: list[str] = []
    if codec == "mjpeg":
        reasons.append(
            "the camera sends MJPEG (a JPEG per frame): 5-10x the storage of H.264 and no "
            "keyframe structure to cut segments on; set the stream to H.264 in its settings"
        )
    elif codec not in RECORDABLE_CODECS:
        reasons.append(f"codec {codec!r} is not recorded; set the stream to H.264 or H.265")
    if codec == "hevc":
        warnings.append(
            "H.265 records fine, but most browsers cannot play it live; "
            "an H.264 sub stream is recommended for live view"
        )
    if not width or not height:
        warnings.append("the picture size is not announced yet (no parameter sets seen)")
    if s.keyframe_count == 0:
        warnings.append(f"no keyframe within {s.span:.1f} s: segments can only start on one")
    elif interval is None:
        warnings.append(f"only one keyframe within {s.span:.1f} s: keyframe interval unknown")
    elif interval > MAX_GOOD_KEYFRAME_SECONDS:
        warnings.append(
            f"a keyframe only every {interval:.1f} s: segments and seeking land on keyframes; "
            "set the GOP (I-frame interval) to 1-2 s"
        )
    if bitrate is not None and bitrate > HEAVY_BITRATE:
        warnings.append(f"{bitrate / 1e6:.1f} Mbit/s is heavy on storage; 2-6 Mbit/s is typical")
    return reasons, warnings
