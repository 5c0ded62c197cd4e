"""The events page on a real catalog: anonymous visitors go to the login page; a logged-in
user gets the page with the cameras of their area and every kind in words, in both languages;
its scripts are served and cached for the installed app."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wardeye.app import WardEye
from wardeye.catalog.models import EVENT_KINDS
from wardeye.config.models import Config
from wardeye.registry.schemas import AreaCreate, CameraCreate, UserCreate
from wardeye.testing.http import SAME_ORIGIN
from wardeye.web.i18n import STRINGS

PASSWORD = "correct horse battery"


@pytest.fixture
def wardeye(tmp_path: Path) -> Iterator[WardEye]:
    instance = WardEye(Config(data_dir=tmp_path / "data"))
    instance.prepare_catalog()
    ours = instance.areas.create(AreaCreate(name="Phường Bến Nghé", level="commune")).id
    other = instance.areas.create(AreaCreate(name="Phường Đa Kao", level="commune")).id
    for name, area in (("Ngã tư Lê Lợi", ours), ("Chợ Đa Kao", other)):
        instance.cameras.create(
            CameraCreate(name=name, area_id=area, main_url="rtsp://192.0.2.10/101")
        )
    instance.users.add(
        UserCreate(username="officer", password=PASSWORD, role="officer", area_ids=[ours])
    )
    yield instance
    instance.stop()


def _client_settings(html: str) -> dict[str, object]:
    found = re.search(r'<script id="wardeye-client" type="application/json">(.*?)</script>', html)
    assert found, "page carries no client settings"
    return dict(json.loads(found.group(1)))


def test_anonymous_visitor_is_sent_to_login(wardeye: WardEye) -> None:
    http = TestClient(wardeye.asgi(), headers=SAME_ORIGIN)
    response = http.get("/events", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert http.get("/api/events").status_code == 401


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_logged_in_user_gets_the_page(wardeye: WardEye, lang: str) -> None:
    http = TestClient(wardeye.asgi(), headers=SAME_ORIGIN)
    assert http.post("/login", data={"username": "officer", "password": PASSWORD})
    page = http.get(f"/events?lang={lang}")
    assert page.status_code == 200
    words = STRINGS[lang]
    assert 'id="event-list"' in page.text and "/static/js/events.js" in page.text
    assert 'href="/events" data-page="events" aria-current="page"' in page.text
    assert f"<title>{words['events']} ·" in page.text
    for kind in EVENT_KINDS:
        assert f'<option value="{kind}">{words["kind_" + kind]}</option>' in page.text
    assert "Ngã tư Lê Lợi</option>" in page.text
    assert "Chợ Đa Kao" not in page.text  # another area's camera
    settings = _client_settings(page.text)
    assert settings["page"] == "events" and settings["lang"] == lang
    cameras = settings["cameras"]
    assert isinstance(cameras, dict)
    assert [c["name"] for c in cameras.values()] == ["Ngã tư Lê Lợi"]
    for script in ("events.js", "event-feed.js"):
        assert http.get(f"/static/js/{script}").status_code == 200
    # the other pages link to it too
    assert 'href="/events" data-page="events"' in http.get("/health").text
