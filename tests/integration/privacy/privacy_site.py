"""A real WardEye for the consent and mask tests: the RTSP simulator serving vtest footage, the
real recorder and web server, and helpers that watch streams the way a browser does (a session
cookie, the live WebSocket, MJPEG, playback media) and decode what arrives."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import numpy.typing as npt
from websockets.sync.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "e2e"))

from wardeye_harness import PASSWORD, USER, CameraSpec, Site

from wardeye.catalog.models import Camera
from wardeye.core.events import CameraUpdated
from wardeye.mp4.boxes import iter_boxes
from wardeye.registry.schemas import CameraCreate
from wardeye.testing.rtsp_server import RtspSimulator

PUBLIC = "Phố đi bộ Nguyễn Huệ"  # vtest 1920x1080 25 fps main, 640x360 10 fps sub
PUBLIC_CAMERAS = (CameraSpec(PUBLIC, "vtest1080", "vtestsub", 10.7740, 106.7035),)
# Household cameras get their own mounts, so the simulator can say whether anyone pulled them.
HOUSEHOLD_MOUNTS = (
    "home_live", "home_registry", "home_request", "home_unverified", "home_off", "home_masked",
)  # fmt: skip
ADMIN, ADMIN_PASSWORD = "admin", "quản trị viên đủ dài 42"
Luma = npt.NDArray[np.uint8]


def privacy_mounts(media: Path) -> dict[str, Path | str]:
    mounts: dict[str, Path | str] = {
        "vtest1080": media / "vtest_1080p.mp4",
        "vtestsub": media / "vtest_720p_sub.mp4",
    }
    for name in HOUSEHOLD_MOUNTS:
        mounts[name] = media / "vtest_720p_sub.mp4"  # small: replayed, never encoded
    return mounts


def add_household(
    site: Site,
    sim: RtspSimulator,
    name: str,
    mount: str,
    tier: str,
    verified: bool = True,
) -> int:
    """A household camera, as the owner registered it. Unverified ones are created disabled,
    marked unverified, then enabled (the recorder must not see them verified even once)."""
    area_id = site.wardeye.cameras.get(site.cameras[PUBLIC]).area_id
    created = site.wardeye.cameras.create(
        CameraCreate(
            name=name,
            area_id=area_id,
            kind="household",
            owner_name="Chị Lan",
            consent_tier=tier,
            main_url=sim.url(mount),
            enabled=verified,
        )
    )
    if not verified:
        with site.wardeye.db.session() as session:
            row = session.get(Camera, created.id)
            assert row is not None
            row.verified = False
            row.enabled = True
        site.wardeye.bus.publish(CameraUpdated(created.id))
    return int(created.id)


def rtsp_connections(port: int | None) -> int:
    """Established TCP connections to the simulator (one per camera stream being read)."""
    out = subprocess.run(
        ["ss", "-Htn", "state", "established", f"( dport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(1 for line in out.splitlines() if line.strip())


def count_segments(site: Site, camera_id: int) -> int:
    from wardeye.catalog import recordings

    with site.wardeye.db.session() as session:
        return int(recordings.count_segments(session, camera_id))


@dataclass
class Browser:
    """What a signed-in browser holds: the site's address and its session cookie."""

    url: str
    cookie: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie, "Origin": self.url}

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=30)

    def socket(self, camera_id: int, stream: str, query: str = "") -> ClientConnection:
        ws_url = self.url.replace("http://", "ws://")
        return connect(
            f"{ws_url}/api/live/{camera_id}/ws?stream={stream}{query}",
            additional_headers=self.headers,
            max_size=None,
            open_timeout=10,
        )


def sign_in(url: str, user: str = USER, password: str = PASSWORD) -> Browser:
    with httpx.Client(base_url=url, headers={"Origin": url}) as client:
        response = client.post("/api/auth/login", json={"username": user, "password": password})
        assert response.status_code == 200, response.text
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return Browser(url, cookie)


def receive_fmp4(ws: ClientConnection, fragments: int, timeout: float = 20.0) -> bytes:
    """The init segment and ``fragments`` moof+mdat pairs, as the player appends them."""
    deadline = time.monotonic() + timeout
    data = b""
    while sum(kind == b"moof" for kind, _ in iter_boxes(data)) < fragments:
        message = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        if isinstance(message, bytes):
            if message[4:8] == b"ftyp":
                data = b""  # a new stream run (e.g. masks switched on): start over from it
            data += message
        else:
            status = json.loads(message)
            assert status["type"] == "init", status
    return data


def decode_luma(data: bytes) -> list[Luma]:
    """Every picture in an MP4 (fragmented or not) or JPEG, as its luma plane."""
    with av.open(io.BytesIO(data), mode="r") as container:
        return [
            np.asarray(f.to_ndarray(format="gray"), dtype=np.uint8)
            for f in container.decode(video=0)
        ]


def region_means(luma: Luma, box: tuple[float, float, float, float]) -> tuple[float, float]:
    """Mean luma inside a box given in picture fractions, shrunk by a few pixels so codec
    blur at its edge is not counted, and of everything outside it grown likewise."""
    h, w = luma.shape
    x0, y0, x1, y1 = box
    inner = luma[int(y0 * h) + 4 : int(y1 * h) - 4, int(x0 * w) + 4 : int(x1 * w) - 4]
    outside = np.ones(luma.shape, dtype=bool)
    outside[
        max(0, int(y0 * h) - 8) : int(y1 * h) + 8, max(0, int(x0 * w) - 8) : int(x1 * w) + 8
    ] = False
    return float(inner.mean()), float(luma[outside].mean())


def box_points(box: tuple[float, float, float, float]) -> list[list[float]]:
    x0, y0, x1, y1 = box
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def status_messages(messages: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(m) for m in messages if isinstance(m, str)]
