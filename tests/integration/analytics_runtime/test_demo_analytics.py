"""The demo with analytics: the first demo camera (vtest, 1080p main recorded, 640x360 sub
analysed through a live-only reader) raises line-crossing events, with snapshots, over the API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wardeye.app import WardEye
from wardeye.config.models import Config
from wardeye.demo import demo_config, find_media_dir, install_demo
from wardeye.testing.http import SAME_ORIGIN


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[WardEye, str, str]]:
    config = demo_config(Config(data_dir=tmp_path / "data"))
    assert config.analytics.enabled, "demo_config turns analytics on when the model is there"
    wardeye = WardEye(config)
    wardeye.prepare_catalog()
    login = install_demo(wardeye, find_media_dir(None), 1)
    assert login.password is not None
    wardeye.start_background()
    try:
        yield wardeye, login.username, login.password
    finally:
        wardeye.stop()


def test_demo_camera_raises_events(demo: tuple[WardEye, str, str]) -> None:
    wardeye, username, password = demo
    client = TestClient(wardeye.asgi(), headers=SAME_ORIGIN)
    assert client.post("/api/auth/login", json={"username": username, "password": password})
    camera = client.get("/api/cameras").json()[0]
    zones = client.get(f"/api/cameras/{camera['id']}/zones").json()
    assert {z["kind"] for z in zones} == {"line", "polygon"}
    deadline = time.monotonic() + 90
    crossings: list[dict[str, object]] = []
    while time.monotonic() < deadline and not crossings:
        time.sleep(1)
        crossings = client.get("/api/events", params={"kind": "line_crossing"}).json()
    assert crossings, "no line crossing from the demo camera within 90 s"
    event = crossings[0]
    assert event["camera_id"] == camera["id"] and event["label"] == "person"
    snapshot = client.get(str(event["snapshot_url"]))
    assert snapshot.status_code == 200 and snapshot.content[:2] == b"\xff\xd8"
