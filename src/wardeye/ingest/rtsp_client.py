"""WardEye's own RTSP client for recording over TCP: handshake, authentication, keep-alive, and
batched reads of the interleaved RTP stream.

It reads what the socket holds, then sleeps ``read_interval`` seconds (0.5 s while only the
recorder listens, about a frame while someone watches live), so one camera costs a few wake-ups
and system calls a second instead of FFmpeg's thousands (the figures are in
docs/performance.md). UDP transport, HTTP and file sources keep using FFmpeg (PyAV), and so
does onboarding's probe. Only the video track is set up; cameras' audio is not recorded.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from wardeye.core.closing import Closing
from wardeye.ingest.rtp import (
    START_CODE,
    Depacketizer,
    InterleavedError,
    InterleavedReader,
    TimestampUnwrapper,
)

DEFAULT_PORT = 554
RECV_BYTES = 1 << 20
RECEIVE_BUFFER = 4 << 20  # room for seconds of a 4 Mbit/s camera (capped by net.core.rmem_max)
USER_AGENT = "WardEye"


class RtspError(Exception):
    """The camera answered, but not with a stream we can record (refused, unknown path...)."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    challenges: tuple[str, ...] = ()  # every WWW-Authenticate (one per scheme offered)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass(slots=True)
class VideoTrack:
    """What the SDP says about the first video stream."""

    codec: str  # "h264" or "hevc"
    control: str  # absolute URL for SETUP
    clock_rate: int
    parameter_sets: bytes  # Annex-B, from sprop-* (may be empty: then in-band only)
    fps: float | None = None


@dataclass(slots=True)
class _Auth:
    user: str
    password: str
    scheme: str = ""
    params: dict[str, str] = field(default_factory=dict)
    count: int = 0

    def header(self, method: str, uri: str) -> str | None:
        if self.scheme == "basic":
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            return f"Basic {token}"
        if self.scheme != "digest":
            return None
        realm, nonce = self.params.get("realm", ""), self.params.get("nonce", "")
        ha1 = _md5(f"{self.user}:{realm}:{self.password}")
        ha2 = _md5(f"{method}:{uri}")
        parts = [f'username="{self.user}"', f'realm="{realm}"', f'nonce="{nonce}"',
                 f'uri="{uri}"']  # fmt: skip
        if "auth" in self.params.get("qop", "").split(","):
            self.count += 1
            nc, cnonce = f"{self.count:08x}", os.urandom(8).hex()
            response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            parts += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
        else:
            response = _md5(f"{ha1}:{nonce}:{ha2}")
        parts.append(f'response="{response}"')
        if "opaque" in self.params:
            parts.append(f'opaque="{self.params["opaque"]}"')
        return "Digest " + ", ".join(parts)

    def challenge(self, headers: list[str]) -> bool:
        """Pick the best scheme the camera offers; False when none can be answered."""
        for wanted in ("digest", "basic"):
            for value in headers:
                scheme, _, rest = value.strip().partition(" ")
                if scheme.lower() == wanted:
                    self.scheme = wanted
                    self.params = {k.lower(): v for k, v in _AUTH_PARAM.findall(rest)}
                    return True
        return False


_AUTH_PARAM = re.compile(r'(\w+)\s*=\s*"?([^",]*)"?')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(URL without user:password, user, password), percent-decoded."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, unquote(parts.username), unquote(parts.password or "")


def parse_sdp(sdp: str, base: str) -> VideoTrack:
    """The first H.264/H.265 video stream of a session description."""
    sections = re.split(r"\r?\n(?=m=)", sdp)
    for section in sections[1:]:
        lines = [line.strip() for line in section.splitlines()]
        media = lines[0].split()
        if not media or media[0] != "m=video" or len(media) < 4:
            continue
        payload = media[3]
        attrs: dict[str, str] = {}
        for line in lines[1:]:
            if line.startswith("a="):
                key, _, value = line[2:].partition(":")
                if key in ("rtpmap", "fmtp") and value.split(" ", 1)[0] != payload:
                    continue
                attrs.setdefault(key, value.split(" ", 1)[1] if key in ("rtpmap", "fmtp")
                                 else value)  # fmt: skip
        encoding = attrs.get("rtpmap", "").split("/")
        name = encoding[0].upper()
        codec = {"H264": "h264", "H265": "hevc", "HEVC": "hevc"}.get(name)
        if codec is None:
            raise RtspError(
                f"video codec {name or 'unknown'!r} cannot be recorded without transcoding "
                "(set the camera to H.264 or H.265)"
            )
        fmtp = dict(
            (k.strip().lower(), v.strip())
            for k, _, v in (p.partition("=") for p in attrs.get("fmtp", "").split(";"))
            if k.strip()
        )
        keys = ("sprop-parameter-sets",) if codec == "h264" else ("sprop-vps", "sprop-sps",
                                                                  "sprop-pps")  # fmt: skip
        params = b""
        for key in keys:
            for item in fmtp.get(key, "").split(","):
                with contextlib.suppress(ValueError):  # a broken sprop: in-band sets will do
                    if item:
                        params += START_CODE + base64.b64decode(item + "=" * (-len(item) % 4))
        rate = float(attrs["framerate"]) if _is_number(attrs.get("framerate")) else None
        return VideoTrack(
            codec=codec,
            control=_control_url(attrs.get("control", ""), base),
            clock_rate=int(encoding[1]) if len(encoding) > 1 and encoding[1].isdigit() else 90000,
            parameter_sets=params,
            fps=rate,
        )
    raise RtspError("the stream has no video")


def _is_number(text: str | None) -> bool:
    try:
        float(text or "")
    except ValueError:
        return False
    return True


def _control_url(control: str, base: str) -> str:
    if not control or control == "*":
        return base
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", control):
        return control
    return base.rstrip("/") + "/" + control.lstrip("/")


class RtspClient(Closing):
    """One RTSP session over TCP. Use as a context manager; iterate :meth:`access_units`."""

    def __init__(
        self,
        url: str,
        open_timeout: float = 10.0,
        read_timeout: float = 10.0,
        read_interval: float | Callable[[], float] = 0.5,
    ) -> None:
        self.url, user, password = split_credentials(url)
        parts = urlsplit(self.url)
        if parts.scheme.lower() not in ("rtsp",) or not parts.hostname:
            raise RtspError("not an rtsp:// URL")
        self._auth = _Auth(user, password or "") if user is not None else None
        self._read_timeout = read_timeout
        self._interval = read_interval if callable(read_interval) else lambda: read_interval
        self._busy_read = RECV_BYTES  # a read this big means the camera outpaces the pauses
        self._finishing = threading.Event()
        self._cseq = 0
        self._session = ""
        self._keepalive_every = 30.0
        self._keepalive_method = "OPTIONS"
        self._channel = 0
        self._reader = InterleavedReader()
        self._sock = socket.create_connection(
            (parts.hostname, parts.port or DEFAULT_PORT), timeout=open_timeout
        )
        try:
            self.track = self._handshake()
        except BaseException:
            self._sock.close()
            raise
        self._sock.settimeout(read_timeout)
        # A read that brings a quarter of what the socket can hold: read again at once rather
        # than pause (a high-bitrate camera, or a kernel that granted a small buffer).
        self._busy_read = max(64 << 10, min(RECV_BYTES, _receive_room(self._sock) // 4))

    # -- handshake ------------------------------------------------------------------------------

    def _handshake(self) -> VideoTrack:
        options = self._request("OPTIONS", self.url)
        if "GET_PARAMETER" in options.header("public").upper():
            self._keepalive_method = "GET_PARAMETER"
        described = self._request("DESCRIBE", self.url, {"Accept": "application/sdp"})
        base = described.header("content-base") or described.header("content-location")
        track = parse_sdp(described.body.decode("utf-8", "replace"), base or self.url)
        setup = self._request(
            "SETUP", track.control, {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"}
        )
        session = setup.header("session")
        self._session = session.split(";")[0].strip()
        timeout = re.search(r"timeout=(\d+)", session)
        if timeout:
            self._keepalive_every = max(5.0, int(timeout.group(1)) / 2)
        interleaved = re.search(r"interleaved=(\d+)", setup.header("transport"))
        if interleaved:
            self._channel = int(interleaved.group(1))
        self._request("PLAY", self.url, {"Range": "npt=0.000-"})
        return track

    def _send(self, method: str, uri: str, headers: dict[str, str] | None = None) -> None:
        self._cseq += 1
        lines = [f"{method} {uri} RTSP/1.0", f"CSeq: {self._cseq}", f"User-Agent: {USER_AGENT}"]
        if self._session:
            lines.append(f"Session: {self._session}")
        authorization = self._auth.header(method, uri) if self._auth else None
        if authorization:
            lines.append(f"Authorization: {authorization}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def _request(self, method: str, uri: str, headers: dict[str, str] | None = None) -> Response:
        for attempt in range(2):
            self._send(method, uri, headers)
            response = self._response()
            if (
                response.status == 401
                and attempt == 0
                and self._auth
                and not self._auth.scheme
                and self._auth.challenge(list(response.challenges))
            ):
                continue  # answer the challenge once
            if response.status != 200:
                raise RtspError(f"{method} refused: {response.status} {response.reason}".strip())
            return response
        raise RtspError(f"{method} refused: 401 Unauthorized")  # pragma: no cover

    def _response(self) -> Response:
        deadline = time.monotonic() + (self._sock.gettimeout() or 10.0)
        while True:
            for channel, item in self._reader.frames():
                if channel < 0 and bytes(item).startswith(b"RTSP/"):
                    return _parse_response(bytes(item))
            if time.monotonic() > deadline:
                raise TimeoutError("timed out")
            data = self._sock.recv(65536)
            if not data:
                raise RtspError("the camera closed the connection")
            self._reader.feed(data)

    # -- streaming ------------------------------------------------------------------------------

    def access_units(self) -> Iterator[tuple[bytes, int, bool]]:
        """(Annex-B frame, 90 kHz timestamp, keyframe) until the camera stops sending.
        Raises TimeoutError after ``read_timeout`` seconds without data."""
        depacketizer = Depacketizer(self.track.codec)
        unwrap = TimestampUnwrapper()
        scale = 90000 / self.track.clock_rate
        next_keepalive = time.monotonic() + self._keepalive_every
        while True:
            finishing = self._finishing.is_set()
            try:
                # the only copy of the packets' bytes
                data = self._drain() if finishing else self._sock.recv(RECV_BYTES)
            except TimeoutError:
                raise TimeoutError("timed out") from None
            if not data:
                return
            self._reader.feed(data)
            for channel, payload in self._reader.frames():
                if channel != self._channel:
                    continue  # RTCP, other tracks, answers to keep-alives
                for unit in depacketizer.push(payload):
                    ticks = unwrap(unit.timestamp)
                    yield unit.data, int(ticks * scale), unit.keyframe
            if finishing:
                return
            now = time.monotonic()
            if now >= next_keepalive:
                self._send(self._keepalive_method, self.url)
                next_keepalive = now + self._keepalive_every
            if len(data) < self._busy_read:
                self._finishing.wait(self._interval())  # let the next batch gather

    def finish(self) -> None:
        """End :meth:`access_units` soon, after handing over what the camera already sent (up
        to a read interval of footage waits in the socket). Safe from another thread."""
        self._finishing.set()

    def _drain(self) -> bytes:
        """Everything the socket holds now, without waiting for more."""
        chunks: list[bytes] = []
        self._sock.setblocking(False)
        try:
            while chunk := self._sock.recv(RECV_BYTES):
                chunks.append(chunk)
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            self._sock.settimeout(self._read_timeout)
        return b"".join(chunks)

    def close(self) -> None:
        try:
            if self._session:
                self._sock.settimeout(1.0)
                self._send("TEARDOWN", self.url)
        except OSError:
            pass
        finally:
            self._sock.close()


def _receive_room(sock: socket.socket) -> int:
    """Make room for the bytes that gather between reads, and say how much there is. An explicit
    SO_RCVBUF switches TCP's receive autotuning off and is capped at net.core.rmem_max (208 KiB
    on a stock Debian): ask for RECEIVE_BUFFER only where the kernel allows it, otherwise keep
    autotuning, which grows the buffer up to tcp_rmem's maximum as reads get bigger."""
    rmem_max = _read_int("/proc/sys/net/core/rmem_max", 0)
    if rmem_max >= RECEIVE_BUFFER:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        return RECEIVE_BUFFER
    return _read_int("/proc/sys/net/ipv4/tcp_rmem", RECEIVE_BUFFER, field=-1) // 2


def _read_int(path: str, default: int, field: int = 0) -> int:
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().split()[field])
    except (OSError, ValueError, IndexError):
        return default


def _parse_response(message: bytes) -> Response:
    head, _, body = message.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    match = re.match(r"RTSP/\d\.\d\s+(\d{3})\s*(.*)", lines[0])
    if match is None:
        raise InterleavedError("not an RTSP answer")
    headers: dict[str, str] = {}
    challenges: list[str] = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        if key == "www-authenticate":
            challenges.append(value.strip())
        headers[key] = value.strip()
    return Response(int(match.group(1)), match.group(2).strip(), headers, body, tuple(challenges))
