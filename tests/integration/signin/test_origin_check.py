"""Cross-site requests: a state-changing request carrying the session cookie must come from a
page of this site (Origin, else Referer); other sites' pages get 403, before any route runs.
The camera CSV import is the route this matters most for."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from conftest import PASSWORD, SiteFactory
from wardeye.signin.sessions import SESSION_COOKIE

EVIL = "https://evil.example"
CSV = b"name,area,main_url\nCam-nhap,{area},rtsp://127.0.0.1:9/i\n"


def _camera(area: int, name: str) -> dict[str, object]:
    return {"name": name, "area_id": area, "main_url": "rtsp://127.0.0.1:9/x", "enabled": False}


def test_cross_site_posts_are_refused_same_site_accepted(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("admin-xa", role="admin")
    admin = site.login("admin-xa")
    cases = [
        ({"origin": EVIL}, 403),
        ({"origin": "null"}, 403),
        ({"origin": EVIL, "referer": "http://testserver/cameras"}, 403),
        ({"referer": f"{EVIL}/page"}, 403),
        ({"origin": "http://testserver"}, 201),
        ({"referer": "http://testserver/cameras"}, 201),  # a browser that left Origin out
    ]
    for i, (headers, expected) in enumerate(cases):
        bare = TestClient(site.app, base_url="http://testserver", cookies=admin.cookies)
        answer = bare.post("/api/cameras", json=_camera(site.area, f"Cam-{i}"), headers=headers)
        assert answer.status_code == expected, (headers, answer.text)
    bare = TestClient(site.app, base_url="http://testserver", cookies=admin.cookies)
    assert bare.post("/api/cameras", json=_camera(site.area, "Cam-x")).status_code == 403
    assert bare.get("/api/cameras").status_code == 200  # reading needs no Origin
    names = {c["name"] for c in admin.get("/api/cameras").json()}
    assert names == {"Cam-4", "Cam-5"}


def test_cross_site_csv_import_is_refused(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("admin-xa", role="admin")
    admin = site.login("admin-xa")
    body = CSV.replace(b"{area}", str(site.area).encode())
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        answer = admin.request(method, "/api/cameras/import", content=body,
                               headers={"content-type": "text/csv", "origin": EVIL})  # fmt: skip
        assert answer.status_code == 403, method
    assert admin.get("/api/cameras").json() == []
    answer = admin.post("/api/cameras/import", content=body, headers={"content-type": "text/csv"})
    assert answer.status_code == 200 and answer.json()["imported"] == ["Cam-nhap"]


def test_sign_in_and_out_from_another_site_are_refused(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("an")
    login = {"username": "an", "password": PASSWORD}
    foreign = site.client(origin=EVIL)
    assert foreign.post("/api/auth/login", json=login).status_code == 403  # login CSRF
    assert foreign.post("/login", data=login).status_code == 403
    script = site.client(origin=None)  # no cookie, no Origin: a script signing in
    assert script.post("/api/auth/login", json=login).status_code == 200
    client = site.login("an")
    forged = TestClient(site.app, base_url="http://testserver", cookies=client.cookies)
    assert forged.post("/api/auth/logout", headers={"origin": EVIL}).status_code == 403
    assert client.get("/api/auth/me").status_code == 200


def test_configured_origins_are_accepted(make_site: SiteFactory) -> None:
    site = make_site(allowed_origins=["https://cameras.example.vn"])
    site.user("admin-xa", role="admin")
    admin = site.login("admin-xa")
    portal = TestClient(site.app, base_url="http://10.0.0.5:8080")  # behind a proxy
    portal.cookies.set(SESSION_COOKIE, admin.cookies[SESSION_COOKIE])
    answer = portal.post("/api/cameras", json=_camera(site.area, "Cam-p"),
                         headers={"origin": "https://cameras.example.vn"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    answer = portal.post("/api/cameras", json=_camera(site.area, "Cam-q"),
                         headers={"origin": "https://other.example.vn"})  # fmt: skip
    assert answer.status_code == 403


def test_a_live_socket_from_another_site_is_refused(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("canh-sat")
    client = site.login("canh-sat")
    path = "/api/live/987/ws"
    with pytest.raises(WebSocketDisconnect) as refused:
        client.websocket_connect(path, headers={"origin": EVIL}).__enter__()
    assert refused.value.code == 4403
    same = {"origin": "http://testserver"}
    with (
        pytest.raises(WebSocketDisconnect) as reached,
        client.websocket_connect(path, headers=same) as ws,
    ):
        ws.receive_text()  # same site: the route itself answers (no such camera)
    assert reached.value.code == 4404
