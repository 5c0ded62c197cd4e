"""A whole WardEye on real parts for browser tests and benchmarks: the GStreamer RTSP camera
simulator, the real Recorder writing segments into a temporary folder, the web app served by
uvicorn on a free port, and Debian's Chromium driven by Playwright.

Used by tests/e2e, tests/integration/web and bench/ (which put this folder on sys.path)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from wardeye.app import WardEye
from wardeye.config.models import Config, ReconnectConfig, RecordingConfig
from wardeye.recording.recorder import Recorder
from wardeye.registry.schemas import AreaCreate, CameraCreate, UserCreate
from wardeye.testing.rtsp_server import RtspSimulator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 860}
USER, PASSWORD = "officer", "mật khẩu đủ dài 42"
FAST_RECONNECT = ReconnectConfig(
    initial_seconds=0.5, max_seconds=2.0, open_timeout_seconds=5.0, read_timeout_seconds=5.0
)


@dataclass(frozen=True)
class CameraSpec:
    name: str
    main: str  # simulator mount
    sub: str | None = None
    latitude: float | None = None
    longitude: float | None = None


# Around Bến Nghé ward: real footage (main + sub), a 720p test pattern, the clock clip.
STANDARD_CAMERAS = (
    CameraSpec("Ngã tư Lê Lợi – Nguyễn Huệ", "vtest1080", "vtestsub", 10.77366, 106.70325),
    CameraSpec("Chợ Bến Thành – cổng Tây", "cam720", None, 10.77246, 106.69805),
    CameraSpec("Đồng hồ (đo độ trễ)", "clock", None, 10.77580, 106.70010),
)


def standard_mounts(media: Path) -> dict[str, Path | str]:
    return {
        "vtest1080": media / "vtest_1080p.mp4",
        "vtestsub": media / "vtest_720p_sub.mp4",
        "cam720": media / "testsrc_720p.mp4",
        "clock": media / "clock_720p.mp4",
        "hevc": media / "testsrc_1080p_hevc.mp4",  # no camera uses it unless a test adds one
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Site:
    """A running WardEye: catalog, recorder, web server."""

    wardeye: WardEye
    recorder: Recorder
    cameras: dict[str, int]
    url: str = ""
    _server: uvicorn.Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def serve(self) -> str:
        port = free_port()
        config = uvicorn.Config(
            self.wardeye.asgi(),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            ws="websockets-sansio",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="uvicorn", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the web server did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def close(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(15)
        self.wardeye.stop()

    def wait_online(self, timeout: float = 20.0) -> None:
        wait_for(
            lambda: (
                {h.camera_id for h in self.recorder.health() if h.state == "online"}
                >= set(self.cameras.values())
            ),
            timeout,
            "every camera online",
        )

    def wait_segments(self, camera_id: int, count: int, timeout: float = 60.0) -> None:
        def enough() -> bool:
            with self.wardeye.db.session() as s:
                from wardeye.catalog import recordings

                return recordings.count_segments(s, camera_id) >= count

        wait_for(enough, timeout, f"{count} segments of camera {camera_id}")


def build_site(
    data_dir: Path,
    sim: RtspSimulator,
    cameras: tuple[CameraSpec, ...] = STANDARD_CAMERAS,
    segment_seconds: float = 4.0,
    record_substream: bool = False,
) -> Site:
    recording = RecordingConfig(
        segment_seconds=segment_seconds,
        record_substream=record_substream,
        reconnect=FAST_RECONNECT,
    )
    wardeye = WardEye(Config(data_dir=data_dir, recording=recording))
    wardeye.prepare_catalog()
    province = wardeye.areas.create(AreaCreate(name="Thành phố Hồ Chí Minh", level="province"))
    district = wardeye.areas.create(
        AreaCreate(name="Quận 1", level="district", parent_id=province.id)
    )
    ward = wardeye.areas.create(
        AreaCreate(name="Phường Bến Nghé", level="commune", parent_id=district.id)
    )
    ids: dict[str, int] = {}
    for spec in cameras:
        created = wardeye.cameras.create(
            CameraCreate(
                name=spec.name,
                area_id=ward.id,
                main_url=sim.url(spec.main),
                sub_url=sim.url(spec.sub) if spec.sub else None,
                latitude=spec.latitude,
                longitude=spec.longitude,
            )
        )
        ids[spec.name] = created.id
    wardeye.users.add(UserCreate(username=USER, password=PASSWORD, role="officer"))
    wardeye.start_background()  # what `wardeye run` starts: retention, recorder, live warm-up
    recorder = next(p for p in wardeye.background if isinstance(p, Recorder))
    return Site(wardeye, recorder, ids)


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium (never `playwright install`); fails loudly when it is missing."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


REASON = "Kiểm tra vụ việc 12/2026"  # what the officer types when asked why


def login(page: Any, base_url: str, user: str = USER, password: str = PASSWORD) -> None:
    """Sign in; the reason the playback page asks for (a prompt) is answered with REASON."""
    page.on("dialog", lambda dialog: dialog.accept(REASON))
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def mounts_for(media: Path, names: Mapping[str, str]) -> dict[str, Path | str]:
    """Simulator mounts from clip names: {"mount": "clip.mp4"}."""
    return {mount: media / clip for mount, clip in names.items()}
