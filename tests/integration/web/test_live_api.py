"""Live view over the API, on a real WardEye recording the RTSP simulator's cameras: WebSocket
fMP4, snapshots, one camera connection however many watch, permissions."""

from __future__ import annotations

import io
import json
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import av
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from wardeye_harness import PASSWORD, USER, Site, wait_for

from wardeye.live.hub import LiveHub
from wardeye.live.tap import RecorderTap
from wardeye.mp4.boxes import iter_boxes
from wardeye.registry.schemas import AreaCreate, CameraCreate, UserCreate
from wardeye.testing.http import SAME_ORIGIN
from wardeye.testing.rtsp_server import RtspSimulator

pytestmark = pytest.mark.rtsp

VTEST = "Ngã tư Lê Lợi – Nguyễn Huệ"  # main 1920x1080 25 fps, sub 640x360 10 fps
CLOCK = "Đồng hồ (đo độ trễ)"


@pytest.fixture(scope="module")
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(site.wardeye.asgi(), headers=SAME_ORIGIN) as http:
        response = http.post("/api/auth/login", json={"username": USER, "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield http


def rtsp_connections(port: int | None) -> int:
    out = subprocess.run(
        ["ss", "-Htn", "state", "established", f"( dport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(1 for line in out.splitlines() if line.strip())


def watch(client: TestClient, camera: int, stream: str, fragments: int) -> dict[str, Any]:
    """Open the live socket, take the init message and ``fragments`` media fragments."""
    with client.websocket_connect(f"/api/live/{camera}/ws?stream={stream}") as ws:
        started = time.monotonic()
        init = json.loads(ws.receive_text())
        data = ws.receive_bytes()
        assert [kind for kind, _ in iter_boxes(data)] == [b"ftyp", b"moov"]
        # Fragments queued during a send arrive together in one message: count moof boxes.
        while sum(kind == b"moof" for kind, _ in iter_boxes(data)) < fragments:
            message = ws.receive()
            if message.get("bytes") is not None:
                data += message["bytes"]
        elapsed = time.monotonic() - started
    boxes = iter_boxes(data)
    kept = b"".join(box for _, box in boxes[: 2 + 2 * fragments])  # init + N moof/mdat pairs
    return {"init": init, "data": kept, "seconds": elapsed}


def decode(data: bytes) -> list[av.VideoFrame]:
    with av.open(io.BytesIO(data)) as container:
        return list(container.decode(video=0))


def test_main_stream_plays_as_fmp4_from_the_recorders_reader(
    client: TestClient, site: Site
) -> None:
    got = watch(client, site.cameras[VTEST], "main", 60)
    init = got["init"]
    assert init["type"] == "init" and init["stream"] == "main"
    assert init["mime"].startswith('video/mp4; codecs="avc1.')
    assert (init["width"], init["height"]) == (1920, 1080)
    frames = decode(got["data"])
    assert len(frames) == 60 and frames[0].key_frame
    assert (frames[0].width, frames[0].height) == (1920, 1080)
    # Recorded streams are attached at start, so even the first viewer starts from the cached
    # GOP (up to 2 s of frames at once), then gets frames in real time.
    assert got["seconds"] < 60 / 25 + 0.5
    again = watch(client, site.cameras[VTEST], "main", 60)
    assert again["seconds"] < 60 / 25 + 0.5
    assert len(decode(again["data"])) == 60
    states = {(s["camera_id"], s["stream"]): s for s in client.get("/api/live/status").json()}
    assert states[(site.cameras[VTEST], "main")]["state"] == "live"


def test_sub_stream_gets_one_connection_for_all_viewers(
    client: TestClient, site: Site, simulator: RtspSimulator
) -> None:
    """The sub stream is not recorded: the first viewer opens it, later ones share it."""
    recorded = rtsp_connections(simulator.port)
    assert recorded == len(site.cameras)
    camera = site.cameras[VTEST]
    with (
        client.websocket_connect(f"/api/live/{camera}/ws?stream=sub") as one,
        client.websocket_connect(f"/api/live/{camera}/ws?stream=sub") as two,
    ):
        for ws in (one, two):
            init = json.loads(ws.receive_text())
            assert (init["stream"], init["width"], init["height"]) == ("sub", 640, 360)
            assert ws.receive_bytes()[4:8] == b"ftyp"
            assert ws.receive_bytes()[4:8] == b"moof"  # then fragments, whole boxes
        assert rtsp_connections(simulator.port) == recorded + 1
    cam720 = site.cameras["Chợ Bến Thành – cổng Tây"]  # no sub stream: the grid gets main
    with client.websocket_connect(f"/api/live/{cam720}/ws?stream=sub") as ws:
        init = json.loads(ws.receive_text())
        assert (init["stream"], init["width"]) == ("main", 1280)
    assert rtsp_connections(simulator.port) == recorded + 1


def test_live_only_reader_closes_after_the_last_viewer(
    site: Site, simulator: RtspSimulator
) -> None:
    """A hub with a short linger on the same recorder: the sub stream connection goes away."""
    import asyncio

    from wardeye.live.feed import LiveFeed
    from wardeye.live.messages import Fragment

    tap = RecorderTap(site.wardeye.db, site.recorder.attach, site.wardeye.config.recording)
    hub = LiveHub(tap, linger_seconds=0.5)
    base = rtsp_connections(simulator.port)
    camera = site.cameras[VTEST]

    async def view() -> int:
        broadcaster = hub.broadcaster(camera, "sub")
        feed = LiveFeed(asyncio.get_running_loop())
        broadcaster.add_feed(feed)
        fragments = 0
        while fragments < 5:
            if isinstance(await asyncio.wait_for(feed.get(), 10), Fragment):
                fragments += 1
        broadcaster.remove_feed(feed)
        return fragments

    try:
        assert asyncio.run(view()) == 5
        assert rtsp_connections(simulator.port) >= base + 1
        wait_for(lambda: rtsp_connections(simulator.port) == base, 15, "the sub stream to close")
        assert hub.states() == []
    finally:
        hub.stop()
        tap.stop()


def test_snapshot_and_mjpeg_fallback(client: TestClient, site: Site) -> None:
    camera = site.cameras[CLOCK]
    response = client.get(f"/api/live/{camera}/snapshot.jpg?stream=main")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    frames = decode(response.content)
    assert (frames[0].width, frames[0].height) == (1280, 720)


def test_live_needs_login_and_respects_areas(site: Site) -> None:
    camera = site.cameras[VTEST]
    with TestClient(site.wardeye.asgi(), headers=SAME_ORIGIN) as anonymous:
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            anonymous.websocket_connect(f"/api/live/{camera}/ws") as socket,
        ):
            socket.receive_text()  # accepted, then closed with the reason
        assert refused.value.code == 4401
        assert anonymous.get(f"/api/live/{camera}/snapshot.jpg").status_code == 401
        other = site.wardeye.areas.create(AreaCreate(name="Phường Đa Kao", level="commune"))
        site.wardeye.users.add(
            UserCreate(username="dakao", password=PASSWORD, role="officer", area_ids=[other.id])
        )
        login = anonymous.post("/api/auth/login", json={"username": "dakao", "password": PASSWORD})
        assert login.status_code == 200
        with (
            pytest.raises(WebSocketDisconnect) as hidden,
            anonymous.websocket_connect(f"/api/live/{camera}/ws") as socket,
        ):
            socket.receive_text()  # accepted, then closed with the reason
        assert hidden.value.code == 4404
        assert anonymous.get(f"/api/live/{camera}/snapshot.jpg").status_code == 404


def test_mjpeg_stream_for_browsers_without_mse(site: Site) -> None:
    import httpx

    url = site.url or site.serve()
    camera = site.cameras[CLOCK]
    with httpx.Client(base_url=url, timeout=10) as http:
        http.post("/api/auth/login", json={"username": USER, "password": PASSWORD})
        with http.stream("GET", f"/api/live/{camera}/mjpeg?stream=main&fps=5") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("multipart/x-mixed-replace")
            buffer = b""
            for chunk in response.iter_bytes():
                buffer += chunk
                if buffer.count(b"--wardeyeframe") >= 3:
                    break
    parts = [p for p in buffer.split(b"--wardeyeframe") if b"image/jpeg" in p]
    jpegs = [p.split(b"\r\n\r\n", 1)[1].rstrip(b"\r\n") for p in parts[:2]]
    counters = []
    from wardeye.testing.media import read_clock_counter

    for jpeg in jpegs:
        frame = decode(jpeg)[0]
        counters.append(read_clock_counter(frame.to_ndarray(format="gray")))
    assert counters[1] != counters[0]  # a moving picture, not the same still twice


def test_h265_camera_is_described_for_the_browser_and_has_snapshots(
    client: TestClient, site: Site, simulator: RtspSimulator
) -> None:
    """Chromium here cannot decode H.265 through MSE; the init message says hvc1 so the player
    switches to the MJPEG/snapshot fallback, which the server decodes itself."""
    ward = site.wardeye.cameras.get(site.cameras[VTEST]).area_id
    camera = site.wardeye.cameras.create(
        CameraCreate(name="Cổng chợ (H.265)", area_id=ward, main_url=simulator.url("hevc"))
    )
    try:
        wait_for(
            lambda: any(
                h.camera_id == camera.id and h.state == "online" for h in site.recorder.health()
            ),
            20,
            "the H.265 camera online",
        )
        with client.websocket_connect(f"/api/live/{camera.id}/ws?stream=main") as ws:
            init = json.loads(ws.receive_text())
            assert init["mime"].startswith('video/mp4; codecs="hvc1.1.')
            assert ws.receive_bytes()[4:8] == b"ftyp"
        response = client.get(f"/api/live/{camera.id}/snapshot.jpg?stream=main")
        assert response.status_code == 200
        frame = decode(response.content)[0]
        assert (frame.width, frame.height) == (1280, 720)  # 1080p scaled to the 1280 cap
    finally:
        site.wardeye.cameras.set_enabled(camera.id, False)
