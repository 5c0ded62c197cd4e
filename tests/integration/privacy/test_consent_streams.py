"""Household consent enforced on the streams, on a real WardEye reading the RTSP simulator:
a camera whose owner does not share video (registry, on_request) or that nobody verified is
never connected to, recorded or shown; withdrawing consent (or disabling the camera) ends every
open live WebSocket and MJPEG stream within a second and stops recording, while the footage
already recorded stays."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest
from privacy_site import (
    add_household,
    count_segments,
    rtsp_connections,
    sign_in,
)
from wardeye_harness import Site, wait_for
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from wardeye.live.hub import StreamUnavailable
from wardeye.privacy.masks import MaskCreate
from wardeye.registry.schemas import CameraUpdate
from wardeye.testing.rtsp_server import RtspSimulator

pytestmark = pytest.mark.rtsp
WINDOW = [(0.1, 0.1), (0.4, 0.1), (0.4, 0.4), (0.1, 0.4)]

NOT_PULLED = [
    ("Nhà chị Lan – chỉ vị trí", "home_registry", "registry", True),
    ("Nhà anh Minh – theo yêu cầu", "home_request", "on_request", True),
    ("Nhà bà Hoa – chưa xác minh", "home_unverified", "live", False),
]


@pytest.mark.parametrize(("name", "mount", "tier", "verified"), NOT_PULLED)
def test_camera_not_shared_is_never_pulled(
    site: Site, simulator: RtspSimulator, name: str, mount: str, tier: str, verified: bool
) -> None:
    connections = rtsp_connections(simulator.port)
    camera_id = add_household(site, simulator, name, mount, tier, verified)
    time.sleep(3.0)  # three recorder catalog checks
    assert camera_id not in {h.camera_id for h in site.recorder.health()}
    assert rtsp_connections(simulator.port) == connections
    # Nobody may open it for live view either, not even through the hub directly.
    with pytest.raises(StreamUnavailable):
        site.wardeye.live.broadcaster(camera_id, "main")
    with pytest.raises(StreamUnavailable):
        site.wardeye.live.snapshots(camera_id, "main")
    browser = sign_in(site.url)
    with browser.http() as http:
        assert http.get(f"/api/live/{camera_id}/snapshot.jpg?stream=main").status_code in (
            403,
            404,
        )
    with browser.socket(camera_id, "main") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code in (4403, 4404)
    time.sleep(1.0)
    assert count_segments(site, camera_id) == 0
    assert rtsp_connections(simulator.port) == connections
    # The camera's own server: nobody has a session on its mount.
    assert simulator.stop_stream(mount).endswith("(dropped 0 clients)")


@dataclass
class SocketLog:
    """What a viewer's socket received, with arrival times, and how it ended."""

    messages: list[tuple[float, str | bytes]] = field(default_factory=list)
    ended_at: float | None = None
    code: int | None = None
    reason: str = ""
    done: threading.Event = field(default_factory=threading.Event)


def masking_threads() -> int:
    return sum("live-masked" in t.name for t in threading.enumerate())


def _read_socket(ws: ClientConnection, log: SocketLog) -> None:
    try:
        while True:
            log.messages.append((time.monotonic(), ws.recv(timeout=15)))
    except ConnectionClosed as exc:
        log.ended_at = time.monotonic()
        if exc.rcvd is not None:
            log.code, log.reason = exc.rcvd.code, exc.rcvd.reason
    except TimeoutError:
        pass
    finally:
        log.done.set()


def _read_mjpeg(http: httpx.Client, path: str, out: list[float], done: threading.Event) -> None:
    """Timestamps of the JPEG parts of an MJPEG stream, then of its end (-1: it never ended)."""
    try:
        with http.stream("GET", path, timeout=httpx.Timeout(30, read=15)) as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                if b"Content-Type: image/jpeg" in chunk:
                    out.append(time.monotonic())
        out.append(time.monotonic())
    except httpx.ReadTimeout:
        out.append(-1.0)
    finally:
        done.set()


@pytest.mark.parametrize(
    ("mount", "change", "masked"),
    [
        ("home_live", CameraUpdate(consent_tier="registry"), False),
        ("home_off", None, False),
        ("home_masked", CameraUpdate(consent_tier="on_request"), True),
    ],
    ids=["consent-withdrawn", "camera-disabled", "withdrawn-while-masked"],
)
def test_withdrawal_ends_open_streams_within_a_second_and_stops_recording(
    site: Site, simulator: RtspSimulator, mount: str, change: CameraUpdate | None, masked: bool
) -> None:
    camera_id = add_household(site, simulator, f"Nhà ông Tư ({mount})", mount, "live")
    if masked:  # viewers watch the masked encoder's output, not the camera's stream
        site.wardeye.masks.create(camera_id, MaskCreate(name="Cửa sổ", points=WINDOW))
    wait_for(
        lambda: any(
            h.camera_id == camera_id and h.state == "online" for h in site.recorder.health()
        ),
        20,
        "the shared household camera recording",
    )
    site.wait_segments(camera_id, 1, timeout=30)
    browser = sign_in(site.url)
    log = SocketLog()
    jpegs: list[float] = []
    mjpeg_done = threading.Event()
    with browser.socket(camera_id, "main") as ws, browser.http() as http:
        threading.Thread(target=_read_socket, args=(ws, log)).start()
        threading.Thread(
            target=_read_mjpeg,
            args=(http, f"/api/live/{camera_id}/mjpeg?stream=main&fps=10", jpegs, mjpeg_done),
        ).start()
        wait_for(lambda: sum(isinstance(m, bytes) for _, m in log.messages) >= 10, 15, "video")
        wait_for(lambda: len(jpegs) >= 3, 15, "MJPEG pictures")
        assert masking_threads() == (1 if masked else 0)

        withdrawn_at = time.monotonic()
        if change is None:
            site.wardeye.cameras.set_enabled(camera_id, False)
        else:
            site.wardeye.cameras.update(camera_id, change)
        assert log.done.wait(5), "the live socket kept going after the withdrawal"
        assert mjpeg_done.wait(5), "the MJPEG stream kept going after the withdrawal"

    assert log.ended_at is not None, "the socket did not close"
    ended_at = log.ended_at
    video_after = [t for t, m in log.messages if isinstance(m, bytes) and t > withdrawn_at + 0.2]
    statuses = [json.loads(m) for _, m in log.messages if isinstance(m, str)]
    print(
        f"withdrawal: socket closed {ended_at - withdrawn_at:.3f} s after the change, "
        f"MJPEG ended {jpegs[-1] - withdrawn_at:.3f} s after; close code {log.code}"
    )
    assert ended_at - withdrawn_at < 1.0
    assert video_after == []
    assert statuses[-1]["type"] == "status" and statuses[-1]["state"] == "withdrawn"
    assert statuses[-1]["reason"]  # the player shows why
    assert 0 < jpegs[-1] - withdrawn_at < 1.0  # the MJPEG response ended

    wait_for(lambda: masking_threads() == 0, 5, "the masked encoder to stop")
    # Recording stops; what was recorded before stays.
    before = count_segments(site, camera_id)
    assert before >= 1
    wait_for(
        lambda: camera_id not in {h.camera_id for h in site.recorder.health()},
        5,
        "the recorder to stop the withdrawn camera",
    )
    settled = count_segments(site, camera_id)
    time.sleep(4.5)  # more than two segment lengths
    assert count_segments(site, camera_id) == settled >= before
    assert simulator.stop_stream(mount).endswith("(dropped 0 clients)")
    # The socket is closed as refused, so the player does not take it for a dropped network.
    assert log.code == 4403, (log.code, log.reason)
