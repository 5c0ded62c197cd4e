"""Helpers for recorder integration tests: a migrated SQLite catalog, a Recorder run that
collects bus events, polling, and independent checks of segment files (ffprobe, ffmpeg, PyAV)."""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import av
import pytest

from wardeye.catalog import migrate, recordings
from wardeye.catalog.database import Database
from wardeye.catalog.models import Area, Camera, RecordingGap, Segment
from wardeye.config.models import ReconnectConfig, RecordingConfig
from wardeye.core.bus import InProcessBus
from wardeye.core.events import Event
from wardeye.recording.recorder import Recorder
from wardeye.testing.segment_checks import decodes_cleanly, ffprobe  # noqa: F401

FAST_RECONNECT = ReconnectConfig(
    initial_seconds=0.5, max_seconds=2.0, jitter=0.2, open_timeout_seconds=3.0,
    read_timeout_seconds=3.0,
)  # fmt: skip
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


def add_camera(
    db: Database, name: str, url: str, enabled: bool = True, sub_url: str | None = None
) -> int:
    with db.session() as s:
        area = s.query(Area).first()
        if area is None:
            area = Area(name="Phường Bến Nghé", level="commune")
            s.add(area)
            s.flush()
        cam = Camera(name=name, area_id=area.id, main_url=url, enabled=enabled, sub_url=sub_url)
        s.add(cam)
        s.flush()
        return cam.id


@dataclass
class RecorderRun:
    """A real Recorder on a real catalog and folder, with every bus event kept."""

    db: Database
    root: Path
    segment_seconds: float = 10.0
    grace: float = 2.0
    reconnect: ReconnectConfig = FAST_RECONNECT
    transport: Literal["tcp", "udp"] = "tcp"
    substream: bool = False
    rtsp_client: Literal["wardeye", "ffmpeg"] = "wardeye"
    events: list[Event] = field(default_factory=list)
    bus: InProcessBus = field(default_factory=InProcessBus)
    recorder: Recorder = field(init=False)

    def __post_init__(self) -> None:
        self.bus.subscribe(Event, self.events.append)
        config = RecordingConfig(
            segment_seconds=self.segment_seconds,
            reconnect=self.reconnect,
            rtsp_transport=self.transport,
            record_substream=self.substream,
            rtsp_client=self.rtsp_client,
        )
        self.recorder = Recorder(self.db, config, self.root, self.bus,
                                 offline_grace_seconds=self.grace)  # fmt: skip

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in list(self.events) if isinstance(e, kind)]

    def state(self, camera_id: int) -> str:
        return next(h.state for h in self.recorder.health() if h.camera_id == camera_id)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll every 0.1 s; returns the monotonic time it became true, fails the test if never."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def segments(db: Database, camera_id: int, stream: str = "main") -> list[Segment]:
    with db.session() as s:
        return list(recordings.segments_between(s, camera_id, EPOCH, FAR, stream))


def gaps(db: Database, camera_id: int, stream: str = "main") -> list[RecordingGap]:
    with db.session() as s:
        return list(recordings.gaps_between(s, camera_id, EPOCH, FAR, stream))


def check_playable(root: Path, rows: list[Segment]) -> None:
    """Each indexed segment is where the index says, and ffprobe agrees with its row."""
    for row in rows:
        probe = ffprobe(root / row.path)
        assert probe["codec"] == row.codec
        assert (probe["width"], probe["height"]) == (row.width, row.height)
        assert probe["duration"] == pytest.approx(row.duration, abs=0.05)
        assert probe["packets"] == row.frames, (row.path, probe, row.frames, row.duration)


def dts_steps(path: Path) -> list[float]:
    """Seconds between consecutive packets of a file, in decode order (PyAV demux only)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        base = video.time_base
        assert base is not None
        dts = [float(p.dts * base) for p in container.demux(video) if p.dts is not None]
    return [b - a for a, b in itertools.pairwise(dts)]


def assert_contiguous(rows: list[Segment], tolerance: float = 0.0) -> None:
    for before, after in itertools.pairwise(rows):
        assert abs((after.start - before.end).total_seconds()) <= tolerance, (before, after)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class JunkServer:
    """A TCP server that answers anything with garbage: a broken camera or a wrong port."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            try:
                conn.settimeout(2)
                conn.recv(4096)
                conn.sendall(b"\x17\x03garbage that is not RTSP\r\n" * 200)
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self.sock.close()


def since(moment: datetime, seconds: float) -> datetime:
    return moment + timedelta(seconds=seconds)


class FreezableProxy:
    """A TCP proxy in front of a camera that can stop passing bytes without closing anything:
    the camera (or a switch on the way) hangs, which only a read timeout can detect."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = int(self.sock.getsockname()[1])
        self.flowing = threading.Event()
        self.flowing.set()
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._open += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        while True:
            try:
                data = src.recv(65536)
                if not data:
                    break
                self.flowing.wait()
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.sock.close()
        for s in self._open:
            s.close()
