"""Events and zones over the REST API on a real catalog: area scoping, filters, snapshots,
the playback timeline, zone CRUD (admins only, announced on the bus) and the live SSE feed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wardeye.app import WardEye
from wardeye.catalog import events as event_repo
from wardeye.config.models import Config
from wardeye.core.events import AnalyticsEventRecorded, ZonesChanged
from wardeye.registry.schemas import AreaCreate, CameraCreate, UserCreate
from wardeye.testing.http import SAME_ORIGIN

PASSWORD = "correct horse battery"
T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100 + b"\xff\xd9"


@pytest.fixture
def wardeye(tmp_path: Path) -> Iterator[WardEye]:
    instance = WardEye(Config(data_dir=tmp_path / "data"))
    instance.prepare_catalog()
    yield instance
    instance.stop()


@pytest.fixture
def world(wardeye: WardEye) -> dict[str, int]:
    ward = wardeye.areas.create(AreaCreate(name="Phường Bến Nghé", level="commune")).id
    other = wardeye.areas.create(AreaCreate(name="Phường Đa Kao", level="commune")).id
    ours = wardeye.cameras.create(
        CameraCreate(name="Ngã tư", area_id=ward, main_url="rtsp://127.0.0.1:1/a")
    ).id
    theirs = wardeye.cameras.create(
        CameraCreate(name="Chợ", area_id=other, main_url="rtsp://127.0.0.1:1/b")
    ).id
    snapshots = wardeye.config.data_dir / "snapshots" / str(ours)
    snapshots.mkdir(parents=True)
    (snapshots / "a.jpg").write_bytes(JPEG)
    with wardeye.db.session() as s:
        crossing = event_repo.add_event(
            s, camera_id=ours, kind="line_crossing", start=T0, end=T0, label="person",
            zone="lối đi", track_id=7, confidence=0.8, snapshot=f"{ours}/a.jpg",
            details={"direction": "forward"},
        )  # fmt: skip
        loiter = event_repo.add_event(
            s, camera_id=ours, kind="loitering", start=T0 + timedelta(minutes=5), label="person",
            zone="cổng", track_id=9, confidence=0.7,
        )  # fmt: skip
        elsewhere = event_repo.add_event(
            s, camera_id=theirs, kind="intrusion", start=T0, end=T0 + timedelta(seconds=4)
        )
    return {
        "ward": ward, "other": other, "ours": ours, "theirs": theirs,
        "crossing": crossing.id, "loiter": loiter.id, "elsewhere": elsewhere.id,
    }  # fmt: skip


def login(wardeye: WardEye, name: str, role: str, area_id: int | None = None) -> TestClient:
    wardeye.users.add(
        UserCreate(
            username=name, password=PASSWORD, role=role, area_ids=[area_id] if area_id else []
        )
    )
    client = TestClient(wardeye.asgi(), headers=SAME_ORIGIN)
    assert client.post("/api/auth/login", json={"username": name, "password": PASSWORD}).is_success
    return client


def test_list_filter_and_scope(wardeye: WardEye, world: dict[str, int]) -> None:
    admin = login(wardeye, "admin", "admin")
    listed = admin.get("/api/events").json()
    assert listed[0]["id"] == world["loiter"]  # newest first
    assert {e["id"] for e in listed} == {world["crossing"], world["loiter"], world["elsewhere"]}
    kinds = admin.get("/api/events", params={"kind": "line_crossing"}).json()
    assert [e["id"] for e in kinds] == [world["crossing"]]
    window = admin.get(
        "/api/events",
        params={"start": (T0 + timedelta(minutes=1)).isoformat(), "end": "2026-11-26T00:00:00Z"},
    ).json()
    assert [e["id"] for e in window] == [world["loiter"]]  # still open, so it overlaps
    officer = login(wardeye, "officer", "officer", world["ward"])
    mine = officer.get("/api/events").json()
    assert {e["id"] for e in mine} == {world["crossing"], world["loiter"]}
    assert officer.get("/api/events", params={"camera_id": world["theirs"]}).json() == []
    assert officer.get(f"/api/events/{world['elsewhere']}").status_code == 404
    one = officer.get(f"/api/events/{world['crossing']}").json()
    assert one["zone"] == "lối đi" and one["details"] == {"direction": "forward"}
    assert one["snapshot_url"] and one["footage_url"].startswith(f"/api/playback/{world['ours']}")
    snapshot = officer.get(one["snapshot_url"])
    assert snapshot.headers["content-type"] == "image/jpeg" and snapshot.content == JPEG
    assert officer.get(f"/api/events/{world['loiter']}/snapshot").status_code == 404
    assert TestClient(wardeye.asgi(), headers=SAME_ORIGIN).get("/api/events").status_code == 401


def test_playback_timeline_shows_events(wardeye: WardEye, world: dict[str, int]) -> None:
    admin = login(wardeye, "admin", "admin")
    timeline = admin.get(
        f"/api/playback/{world['ours']}/timeline",
        params={"start": (T0 - timedelta(minutes=1)).isoformat(),
                "end": (T0 + timedelta(minutes=10)).isoformat()},
    )  # fmt: skip
    assert timeline.status_code == 200, timeline.text
    assert [e["id"] for e in timeline.json()["events"]] == [world["crossing"], world["loiter"]]


def test_zone_crud_admin_only(wardeye: WardEye, world: dict[str, int]) -> None:
    changed: list[ZonesChanged] = []
    wardeye.bus.subscribe(ZonesChanged, changed.append)
    admin = login(wardeye, "admin", "admin")
    officer = login(wardeye, "officer", "officer", world["ward"])
    url = f"/api/cameras/{world['ours']}/zones"
    body = {"name": "vạch", "kind": "line", "points": [[0.67, 0.2], [0.67, 0.8]],
            "settings": {"direction": "forward"}}  # fmt: skip
    assert officer.post(url, json=body).status_code == 403
    created = admin.post(url, json=body)
    assert created.status_code == 201, created.text
    zone = created.json()
    assert zone["settings"]["direction"] == "forward" and zone["settings"]["count"] is True
    assert admin.post(url, json=body).status_code == 409
    bad = {**body, "name": "x", "points": [[0.1, 0.2], [1.5, 0.3]]}
    assert admin.post(url, json=bad).status_code == 422
    assert admin.post(url, json={**body, "name": "y", "settings": {"nope": 1}}).status_code == 422
    polygon = {"name": "cổng", "kind": "polygon", "points": [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]],
               "settings": {"intrusion": True, "schedule": ["22:00-05:00"]}}  # fmt: skip
    assert admin.post(url, json=polygon).status_code == 201
    assert [z["name"] for z in officer.get(url).json()] == ["vạch", "cổng"]
    replaced = admin.put(f"{url}/{zone['id']}", json={**body, "settings": {"direction": "both"}})
    assert replaced.json()["settings"]["direction"] == "both"
    assert admin.delete(f"{url}/{zone['id']}").status_code == 204
    assert admin.delete(f"{url}/{zone['id']}").status_code == 404
    assert officer.get(f"/api/cameras/{world['theirs']}/zones").status_code == 404
    assert len(changed) == 4 and {c.camera_id for c in changed} == {world["ours"]}


@pytest.mark.timeout(30)
def test_live_feed_sends_new_events(wardeye: WardEye, world: dict[str, int]) -> None:
    officer = login(wardeye, "officer", "officer", world["ward"])

    def publish() -> None:
        time.sleep(0.5)
        for key, camera in (("elsewhere", "theirs"), ("crossing", "ours")):  # 1st: not theirs
            wardeye.bus.publish(
                AnalyticsEventRecorded(world[key], world[camera], "line_crossing", T0, T0,
                                       "person", None, True)
            )  # fmt: skip

    threading.Thread(target=publish, daemon=True).start()
    received: list[str] = []
    with officer.stream("GET", "/api/events/stream") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            received.append(line)
            if line.startswith("data: "):
                break
    assert "event: analytics" in received and f"id: {world['crossing']}" in received
    assert f"id: {world['elsewhere']}" not in received
