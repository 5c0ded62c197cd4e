"""The web app's pages and assets on a real catalog: languages, time zone, PWA files, offline
assets (nothing from a CDN), and every string the scripts and templates ask for exists."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from wardeye.app import WardEye
from wardeye.config.models import Config, MapConfig
from wardeye.registry.schemas import AreaCreate, CameraCreate, UserCreate
from wardeye.testing.http import SAME_ORIGIN
from wardeye.web import pages
from wardeye.web.i18n import STRINGS
from wardeye.web.timefmt import format_local

WEB = Path(pages.__file__).parent
PASSWORD = "correct horse battery"


def _site(tmp_path: Path, **config: object) -> WardEye:
    instance = WardEye(Config(data_dir=tmp_path / "data", **config))  # type: ignore[arg-type]
    instance.prepare_catalog()
    ward = instance.areas.create(AreaCreate(name="Phường Bến Nghé", level="commune"))
    instance.cameras.create(
        CameraCreate(
            name="Ngã tư Lê Lợi",
            area_id=ward.id,
            main_url="rtsp://admin:Secr3t@192.0.2.10/101",
            latitude=10.7737,
            longitude=106.7033,
        )
    )
    instance.users.add(UserCreate(username="officer", password=PASSWORD, role="officer"))
    return instance


@pytest.fixture
def wardeye(tmp_path: Path) -> Iterator[WardEye]:
    instance = _site(tmp_path)
    yield instance
    instance.stop()


@pytest.fixture
def client(wardeye: WardEye) -> TestClient:
    http = TestClient(wardeye.asgi(), headers=SAME_ORIGIN)
    response = http.post("/login", data={"username": "officer", "password": PASSWORD})
    assert response.status_code == 200
    return http


def client_settings(html: str) -> dict[str, object]:
    found = re.search(r'<script id="wardeye-client" type="application/json">(.*?)</script>', html)
    assert found, "page carries no client settings"
    return dict(json.loads(found.group(1)))


def test_vietnamese_by_default_english_on_request(wardeye: WardEye) -> None:
    http = TestClient(wardeye.asgi(), headers=SAME_ORIGIN)
    page = http.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert page.url.path == "/login"
    assert "Đăng nhập" in page.text and 'lang="vi"' in page.text
    english = http.get("/login?lang=en")
    assert "Log in" in english.text and 'lang="en"' in english.text
    assert http.get("/login").text.count("Log in") >= 1  # the choice is kept in a cookie


def test_pages_after_login(client: TestClient) -> None:
    for path, marker in [
        ("/", 'id="map"'),
        ("/live", 'id="grid"'),
        ("/playback", 'id="timelines"'),
        ("/health", 'id="health-table"'),
        ("/cameras", "Ngã tư Lê Lợi"),
    ]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert marker in page.text, path
        if path != "/live":  # the grid is drawn by its script
            assert "Ngã tư Lê Lợi" in page.text, path
        assert "Secr3t" not in page.text
        settings = client_settings(page.text)
        assert settings["tz"] == "Asia/Ho_Chi_Minh" and settings["lang"] == "vi"
    home = client_settings(client.get("/").text)
    assert [a["name"] for a in home["areas"]] == ["Phường Bến Nghé"]  # type: ignore[index]
    assert home["map"]["tile_url"] is None  # type: ignore[index]


def test_viewer_time_zone(client: TestClient) -> None:
    page = client.get("/?tz=UTC")
    assert client_settings(page.text)["tz"] == "UTC"
    assert client_settings(client.get("/").text)["tz"] == "UTC"  # kept
    assert client_settings(client.get("/?tz=Mars/Olympus").text)["tz"] == "UTC"
    moment = datetime(2026, 11, 25, 10, 0, 5, tzinfo=UTC)
    assert format_local(moment) == "25/11/2026 17:00:05"
    assert format_local(moment.replace(tzinfo=None), "UTC") == "25/11/2026 10:00:05"


def test_pwa_manifest_service_worker_and_offline_assets(client: TestClient) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["display"] == "standalone" and body["start_url"] == "/"
    for icon in body["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert "javascript" in worker.headers["content-type"]
    shell = re.findall(r"'(/static/[^']+)'", worker.text)
    assert "/static/vendor/leaflet/leaflet.js" in shell
    scripts = {f"/static/js/{p.name}" for p in WEB.glob("static/js/*.js")} - {"/static/js/sw.js"}
    assert scripts <= set(shell), "every script must be cached for the installed app"
    for path in shell:  # vendor files come from scripts/prepare_assets.sh (npm, at setup)
        assert client.get(path).status_code == 200, f"{path} missing: run scripts/setup"


def test_no_asset_is_loaded_from_outside_the_box() -> None:
    ours = [*WEB.glob("templates/*.html"), *WEB.glob("static/js/*.js"), WEB / "static/wardeye.css"]
    for path in ours:
        text = path.read_text()
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", text), path
        assert not re.search(r"import .* from ['\"]https?://", text), path
        assert "fetch('http" not in text, path


def test_every_string_used_exists_in_both_languages() -> None:
    assert set(STRINGS["vi"]) == set(STRINGS["en"])
    used: set[str] = set()
    for path in WEB.glob("static/js/*.js"):
        used |= set(re.findall(r"\bt\('([a-z0-9_]+)'\)", path.read_text()))
    for path in WEB.glob("templates/*.html"):
        used |= set(re.findall(r"\bt\.([a-z0-9_]+)\b(?!\()", path.read_text()))
    assert used, "found no strings: the patterns are wrong"
    assert used - set(STRINGS["vi"]) == set()


def test_operator_map_tiles_and_overlay(tmp_path: Path) -> None:
    overlay = tmp_path / "ban-do-phuong.png"
    overlay.write_bytes((WEB / "static/icons/icon-192.png").read_bytes())
    config = MapConfig(
        tile_url="http://10.0.0.5:8081/{z}/{x}/{y}.png",
        overlay_image=overlay,
        overlay_bounds=((10.77, 106.69), (10.78, 106.71)),
    )
    instance = _site(tmp_path, map=config)
    try:
        http = TestClient(instance.asgi(), headers=SAME_ORIGIN)
        assert http.get("/map/overlay").status_code == 401
        http.post("/login", data={"username": "officer", "password": PASSWORD})
        settings = client_settings(http.get("/").text)["map"]
        assert settings["tile_url"] == config.tile_url  # type: ignore[index]
        assert settings["overlay_url"] == "/map/overlay"  # type: ignore[index]
        assert str(overlay) not in json.dumps(settings)
        picture = http.get("/map/overlay")
        assert picture.status_code == 200 and picture.content == overlay.read_bytes()
    finally:
        instance.stop()


def test_household_camera_video_only_when_shared_live(wardeye: WardEye, client: TestClient) -> None:
    """registry / on_request: the location is on the map, the video is refused (403)."""
    ward = wardeye.areas.list()[0].id
    ids = {}
    for tier in ("registry", "on_request", "live"):
        ids[tier] = wardeye.cameras.create(
            CameraCreate(
                name=f"Nhà ông Sáu ({tier})",
                area_id=ward,
                kind="household",
                consent_tier=tier,
                owner_name="Ông Sáu",
                main_url="rtsp://192.0.2.20/stream",
            )
        ).id
    for tier in ("registry", "on_request"):
        camera = ids[tier]
        assert client.get(f"/api/live/{camera}/snapshot.jpg").status_code == 403
        window = {"start": "2026-11-25T00:00:00Z", "end": "2026-11-25T01:00:00Z"}
        assert client.get(f"/api/playback/{camera}/timeline", params=window).status_code == 403
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect(f"/api/live/{camera}/ws") as socket,
        ):
            socket.receive_text()  # accepted, then closed with the reason
        assert refused.value.code == 4403
    # Shared live: allowed (no recorder runs here, so the stream itself is unavailable).
    assert client.get(f"/api/live/{ids['live']}/snapshot.jpg").status_code in (404, 503)
    home = client.get("/").text
    assert home.count(f'<small class="muted">{STRINGS["vi"]["not_shared"]}</small>') == 2
    playback = client.get("/playback").text
    assert "Nhà ông Sáu (live)</option>" in playback
    assert "Nhà ông Sáu (registry)</option>" not in playback
