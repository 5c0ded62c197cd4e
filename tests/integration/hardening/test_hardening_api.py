"""Findings of the probe, each kept fixed through the real app: NFC duplicates, passwords
echoed in 422s, an area name breaking the page's embedded data, oversized bodies read whole,
stream passwords in a world-readable catalog."""

from __future__ import annotations

import json
import re
import stat
import unicodedata
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from conftest import PASSWORD, STREAM_PASSWORD, Site
from wardeye.api.limits import RequestLimits
from wardeye.catalog.credentials import KEY_FILE
from wardeye.core.bounds import MAX_BODY_BYTES

NAME = "Ngã tư Mường Phăng"
NFD = unicodedata.normalize("NFD", NAME)


def test_camera_named_in_nfd_is_a_duplicate_of_nfc(site: Site, admin: TestClient) -> None:
    body = {"area_id": site.village, "main_url": "rtsp://127.0.0.1:9/x", "enabled": False}
    first = admin.post("/api/cameras", json={**body, "name": NAME})
    assert first.status_code == 201, first.text
    second = admin.post("/api/cameras", json={**body, "name": NFD})
    assert second.status_code == 409, second.text
    renamed = admin.post("/api/cameras", json={**body, "name": "Khác"}).json()
    clash = admin.patch(f"/api/cameras/{renamed['id']}", json={"name": NFD})
    assert clash.status_code == 409, clash.text


def test_area_named_in_nfd_under_one_parent_is_a_duplicate(site: Site, admin: TestClient) -> None:
    nfd = unicodedata.normalize("NFD", "Bản Phăng")  # exists under the commune, in NFC
    answer = admin.post("/api/areas", json={"name": nfd, "level": "village",
                                             "parent_id": site.commune})  # fmt: skip
    assert answer.status_code == 409, answer.text
    elsewhere = admin.post("/api/areas", json={"name": nfd, "level": "commune",
                                                "parent_id": site.province})  # fmt: skip
    assert elsewhere.status_code == 201 and elsewhere.json()["name"] == "Bản Phăng"


def test_usernames_are_ascii_so_nfd_cannot_twin_them(admin: TestClient) -> None:
    body = {"password": PASSWORD, "role": "viewer"}
    assert admin.post("/api/users", json={**body, "username": "lan"}).status_code == 201
    twin = admin.post("/api/users", json={**body, "username": unicodedata.normalize("NFD", "lân")})
    assert twin.status_code == 422


def _fragments(secret: str) -> list[str]:
    return [secret[i : i + 4] for i in range(len(secret) - 3)]


def _password_bodies(site: Site) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("POST", "/api/users", {"username": "x y", "role": "viewer"}),
        ("POST", "/api/users", {"username": "lan", "role": "viewer"}),
        ("POST", "/api/users/1/password", {}),
        ("POST", "/api/auth/login", {"username": "admin"}),
    ]


@pytest.mark.parametrize(
    "password",
    ["Sh0rt!", "Tr0ub4dor&3-" * 30, "Tr0ub4dor&3\x00horse", ["Tr0ub4dor&3-horse"]],
    ids=["too-short", "too-long", "nul", "not-text"],
)
def test_a_rejected_password_is_never_echoed(site: Site, admin: TestClient, password: Any) -> None:
    secret = password[0] if isinstance(password, list) else password.replace("\x00", "")
    for method, path, body in _password_bodies(site):
        answer = admin.request(method, path, json={**body, "password": password})
        assert 400 <= answer.status_code < 500, (path, answer.status_code)
        leaked = [f for f in _fragments(secret[:40]) if f in answer.text]
        assert leaked == [], (path, answer.text)


def test_stream_password_is_never_echoed(site: Site, admin: TestClient) -> None:
    for url in (f"rtsp://admin:{STREAM_PASSWORD}/x", f"rtsp://admin:{STREAM_PASSWORD}@h:9x/"):
        answer = admin.post("/api/cameras", json={"name": "z", "area_id": site.village,
                                                   "main_url": url})  # fmt: skip
        assert answer.status_code == 422
        assert [f for f in _fragments(STREAM_PASSWORD) if f in answer.text] == []


HOSTILE_AREA = "<!--<script>alert(1)</script>&\u2028\u2029 </script><!--"


def _embedded(page: str) -> Any:
    match = re.search(
        r'<script id="wardeye-client" type="application/json">(.*?)</script>', page, re.S
    )
    assert match is not None, page[:500]
    return json.loads(match.group(1))


def test_an_area_name_cannot_break_the_pages_embedded_data(site: Site, admin: TestClient) -> None:
    created = admin.post("/api/areas", json={"name": HOSTILE_AREA, "level": "village",
                                              "parent_id": site.commune})  # fmt: skip
    assert created.status_code == 201, created.text
    page = admin.get("/")
    assert page.status_code == 200
    data = _embedded(page.text)  # the script element ends where it should, and parses
    assert HOSTILE_AREA in [a["name"] for a in data["areas"]]
    script = page.text.split('id="wardeye-client"', 1)[1].split("</script>", 1)[0]
    assert "<" not in script.split(">", 1)[1] and "\u2028" not in script


def test_injected_camera_name_is_escaped_in_the_camera_page(site: Site, admin: TestClient) -> None:
    name = '"><img src=x onerror=alert(1)>'
    body = {"name": name, "area_id": site.village, "main_url": "rtsp://127.0.0.1:9/x"}
    admin.post("/api/cameras", json={**body, "enabled": False})
    page = admin.get("/cameras").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_body_over_the_cap_is_refused_before_it_is_read() -> None:
    reads = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal reads
        while True:
            message = await receive()
            reads += 1
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read"})

    client = TestClient(RequestLimits(app, max_body_bytes=1000))
    assert client.post("/", content=b"x" * 1001).status_code == 413
    assert reads == 0  # Content-Length said too much: not one chunk was taken
    assert client.post("/", content=b"x" * 1000).status_code == 200

    def chunks() -> Any:
        yield from (b"x" * 600 for _ in range(50))

    answer = client.post("/", content=chunks())  # chunked: counted as it arrives
    assert answer.status_code == 413 and reads <= 3


def test_big_bodies_and_bad_json_on_the_real_api(site: Site, admin: TestClient) -> None:
    big = b"[" + b"1," * (MAX_BODY_BYTES // 2) + b"1]"
    assert admin.post("/api/areas", content=big,
                      headers={"content-type": "application/json"}).status_code == 413  # fmt: skip
    bad = admin.post("/api/areas", content=b'{"name": "a",',
                     headers={"content-type": "application/json"})  # fmt: skip
    assert bad.status_code == 422
    nul = admin.post("/api/areas", json={"name": "a\x00", "level": "province"})
    assert nul.status_code == 422
    assert admin.get("/api/cameras", params={"kind": "public\x00"}).status_code == 422


def test_the_running_sites_catalog_is_private_and_sealed(site: Site) -> None:
    data = site.wardeye.config.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.iterdir():
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert (data / KEY_FILE).exists()
    raw = b"".join(p.read_bytes() for p in data.glob("catalog.sqlite3*"))
    assert raw and STREAM_PASSWORD.encode() not in raw
    view = site.client().get(f"/api/cameras/{site.camera}").json()
    assert view["has_credentials"] and STREAM_PASSWORD not in json.dumps(view)


def _unused(_: Message) -> None:  # keeps the Message import honest for type checkers
    return None
