"""Camera registry over the REST API, on a real SQLite catalog built by the migrations."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wardeye.app import WardEye
from wardeye.config.models import Config
from wardeye.registry.schemas import AreaCreate, UserCreate
from wardeye.testing.http import SAME_ORIGIN

PASSWORD = "correct horse battery"


@pytest.fixture
def wardeye(tmp_path: Path) -> Iterator[WardEye]:
    instance = WardEye(Config(data_dir=tmp_path / "data"))
    instance.prepare_catalog()
    yield instance
    instance.stop()


@pytest.fixture
def areas(wardeye: WardEye) -> dict[str, int]:
    province = wardeye.areas.create(AreaCreate(name="Thành phố Hồ Chí Minh", level="province"))
    district = wardeye.areas.create(
        AreaCreate(name="Quận 1", level="district", parent_id=province.id)
    )
    ward = wardeye.areas.create(
        AreaCreate(name="Phường Bến Nghé", level="commune", parent_id=district.id)
    )
    other = wardeye.areas.create(
        AreaCreate(name="Phường Đa Kao", level="commune", parent_id=district.id)
    )
    return {"province": province.id, "district": district.id, "ward": ward.id, "other": other.id}


def _client(wardeye: WardEye, username: str, role: str, area_id: int | None = None) -> TestClient:
    areas = [area_id] if area_id is not None else []
    wardeye.users.add(UserCreate(username=username, password=PASSWORD, role=role, area_ids=areas))
    client = TestClient(wardeye.asgi(), headers=SAME_ORIGIN)
    response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


@pytest.fixture
def admin(wardeye: WardEye, areas: dict[str, int]) -> TestClient:
    return _client(wardeye, "admin", "admin")


def _camera(area: int, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "Ngã tư Lê Lợi",
        "area_id": area,
        "main_url": "rtsp://admin:Secr3t!@192.168.1.10:554/Streaming/Channels/101",
        "sub_url": "rtsp://admin:Secr3t!@192.168.1.10:554/Streaming/Channels/102",
        "latitude": 10.7737,
        "longitude": 106.7033,
    }
    body.update(overrides)
    return body


def test_create_list_get_update_disable_delete(admin: TestClient, areas: dict[str, int]) -> None:
    created = admin.post("/api/cameras", json=_camera(areas["ward"]))
    assert created.status_code == 201, created.text
    camera = created.json()
    assert camera["name"] == "Ngã tư Lê Lợi"
    assert camera["area_path"] == ["Thành phố Hồ Chí Minh", "Quận 1", "Phường Bến Nghé"]
    assert camera["main_url"] == "rtsp://***@192.168.1.10:554/Streaming/Channels/101"
    assert camera["has_credentials"] is True

    listed = admin.get("/api/cameras").json()
    assert [c["id"] for c in listed] == [camera["id"]]
    assert admin.get(f"/api/cameras/{camera['id']}").json()["name"] == "Ngã tư Lê Lợi"

    patched = admin.patch(f"/api/cameras/{camera['id']}", json={"name": "Ngã tư Lê Lợi – Hàm Nghi"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Ngã tư Lê Lợi – Hàm Nghi"

    disabled = admin.post(f"/api/cameras/{camera['id']}/disable")
    assert disabled.json()["enabled"] is False
    assert admin.get("/api/cameras", params={"enabled": "true"}).json() == []

    assert admin.delete(f"/api/cameras/{camera['id']}").status_code == 204
    assert admin.get(f"/api/cameras/{camera['id']}").status_code == 404


def test_filter_by_area_includes_areas_inside(admin: TestClient, areas: dict[str, int]) -> None:
    admin.post("/api/cameras", json=_camera(areas["ward"], name="A"))
    admin.post("/api/cameras", json=_camera(areas["other"], name="B"))
    names = lambda area: sorted(  # noqa: E731
        c["name"] for c in admin.get("/api/cameras", params={"area_id": area}).json()
    )
    assert names(areas["ward"]) == ["A"]
    assert names(areas["other"]) == ["B"]
    assert names(areas["district"]) == ["A", "B"]
    assert admin.get("/api/cameras", params={"area_id": 999}).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "status", "needle"),
    [
        ({"main_url": "not a url"}, 422, "main_url"),
        ({"main_url": "ftp://cam/stream"}, 422, "must start with one of"),
        ({"main_url": "rtsp:///no-host"}, 422, "no host"),
        ({"main_url": "rtsp://cam:99999/x"}, 422, "port"),
        ({"sub_url": "http//missing-colon"}, 422, "sub_url"),
        ({"latitude": 91.0}, 422, "latitude"),
        ({"longitude": -181.0}, 422, "longitude"),
        ({"latitude": 10.0, "longitude": None}, 422, "both latitude and longitude"),
        ({"area_id": 4242}, 422, "unknown area id 4242"),
        ({"name": ""}, 422, "name"),
        ({"kind": "household"}, 422, "consent_tier"),
        ({"colour": "red"}, 422, "unknown field"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(
    admin: TestClient, areas: dict[str, int], overrides: dict[str, object], status: int, needle: str
) -> None:
    response = admin.post("/api/cameras", json=_camera(areas["ward"], **overrides))
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]
    assert "Secr3t" not in response.text
    assert admin.get("/api/cameras").json() == []


def test_duplicate_name_is_a_conflict(admin: TestClient, areas: dict[str, int]) -> None:
    assert admin.post("/api/cameras", json=_camera(areas["ward"])).status_code == 201
    again = admin.post("/api/cameras", json=_camera(areas["other"]))
    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]


def test_update_is_validated_too(admin: TestClient, areas: dict[str, int]) -> None:
    camera = admin.post("/api/cameras", json=_camera(areas["ward"])).json()
    admin.post("/api/cameras", json=_camera(areas["ward"], name="Other"))
    cases = [
        ({"main_url": "gopher://x"}, 422),
        ({"area_id": 999}, 422),
        ({"name": "Other"}, 409),
        ({"latitude": -95}, 422),
    ]
    for body, status in cases:
        response = admin.patch(f"/api/cameras/{camera['id']}", json=body)
        assert response.status_code == status, (body, response.text)
    assert admin.get(f"/api/cameras/{camera['id']}").json()["name"] == "Ngã tư Lê Lợi"
    assert admin.patch("/api/cameras/999", json={"name": "x"}).status_code == 404


def test_credentials_never_leave_the_api_or_reach_the_logs(
    admin: TestClient, areas: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    camera = admin.post("/api/cameras", json=_camera(areas["ward"])).json()
    admin.patch(f"/api/cameras/{camera['id']}", json={"main_url": "rtsp://u:Secr3t!@h/x"})
    texts = [
        admin.get("/api/cameras").text,
        admin.get(f"/api/cameras/{camera['id']}").text,
        admin.get("/api/openapi.json").text,
        caplog.text,
    ]
    for text in texts:
        assert "Secr3t" not in text


def test_credentials_are_stored_for_the_recorder(
    wardeye: WardEye, admin: TestClient, areas: dict[str, int]
) -> None:
    from wardeye.catalog import cameras as camera_repo

    admin.post("/api/cameras", json=_camera(areas["ward"]))
    with wardeye.db.session() as session:
        [stored] = camera_repo.list_filtered(session)
        assert stored.main_url.startswith("rtsp://admin:Secr3t!@")


def test_logged_out_and_wrong_role_are_refused(wardeye: WardEye, areas: dict[str, int]) -> None:
    anonymous = TestClient(wardeye.asgi(), headers=SAME_ORIGIN)
    assert anonymous.get("/api/cameras").status_code == 401
    bad = anonymous.post("/api/auth/login", json={"username": "nobody", "password": "x" * 9})
    assert bad.status_code == 401
    officer = _client(wardeye, "officer1", "officer")
    assert officer.get("/api/cameras").status_code == 200
    assert officer.post("/api/cameras", json=_camera(areas["ward"])).status_code == 403


def test_area_bound_user_sees_only_their_area(wardeye: WardEye, areas: dict[str, int]) -> None:
    admin = _client(wardeye, "root", "admin")
    a = admin.post("/api/cameras", json=_camera(areas["ward"], name="A")).json()
    b = admin.post("/api/cameras", json=_camera(areas["other"], name="B")).json()
    officer = _client(wardeye, "ward_officer", "officer", area_id=areas["ward"])
    assert [c["name"] for c in officer.get("/api/cameras").json()] == ["A"]
    assert officer.get(f"/api/cameras/{a['id']}").status_code == 200
    assert officer.get(f"/api/cameras/{b['id']}").status_code == 404
    # Another commune looks as if it did not exist.
    assert officer.get("/api/cameras", params={"area_id": areas["other"]}).status_code == 404


def test_csv_import_is_all_or_nothing(admin: TestClient, areas: dict[str, int]) -> None:
    bad_csv = (
        "name,area,main_url,latitude,longitude,kind,consent_tier\n"
        "Chợ Bến Thành,Thành phố Hồ Chí Minh/Quận 1/Phường Bến Nghé,rtsp://10.0.0.1/s,10.77,106.7,,\n"
        "Nhà ông Sáu,Thành phố Hồ Chí Minh/Quận 1/Phường Đa Kao,rtsp://10.0.0.2/s,,,household,live\n"
        "Hỏng,Thành phố Hồ Chí Minh/Quận 9,rtsp://10.0.0.3/s,,,,\n"
        "Chợ Bến Thành,3,rtsp://10.0.0.4/s,,,,\n"
        "Xa quá,3,rtsp://10.0.0.5/s,95,106,,\n"
    )
    csv_type = {"content-type": "text/csv"}
    response = admin.post("/api/cameras/import", content=bad_csv.encode(), headers=csv_type)
    assert response.status_code == 422
    errors = response.json()["detail"]["errors"]
    assert [e["row"] for e in errors] == [4, 5, 6]
    assert "Quận 9" in errors[0]["message"]
    assert "duplicate name" in errors[1]["message"]
    assert "latitude" in errors[2]["message"]
    assert admin.get("/api/cameras").json() == []

    good_csv = "\n".join(bad_csv.splitlines()[:3]) + "\n"
    ok = admin.post("/api/cameras/import", content=good_csv.encode(), headers=csv_type)
    assert ok.status_code == 200, ok.text
    assert sorted(ok.json()["imported"]) == ["Chợ Bến Thành", "Nhà ông Sáu"]
    cams = {c["name"]: c for c in admin.get("/api/cameras").json()}
    assert cams["Nhà ông Sáu"]["consent_tier"] == "live"
    assert cams["Nhà ông Sáu"]["area_path"][-1] == "Phường Đa Kao"


def test_openapi_schema_describes_the_camera_api(admin: TestClient) -> None:
    schema = admin.get("/api/openapi.json").json()
    assert "/api/cameras" in schema["paths"]
    assert {"get", "post"} <= set(schema["paths"]["/api/cameras"])
    assert "CameraCreate" in schema["components"]["schemas"]


def test_camera_list_page_is_rendered(admin: TestClient, areas: dict[str, int]) -> None:
    admin.post("/api/cameras", json=_camera(areas["ward"], name="Trường THCS Minh Đức"))
    page = admin.get("/")
    assert page.status_code == 200
    assert "Trường THCS Minh Đức" in page.text
    assert "Phường Bến Nghé" in page.text
    assert "Secr3t" not in page.text
    assert "Camera" in page.text
    english = admin.get("/?lang=en")
    assert "Cameras" in english.text


@pytest.mark.postgres
def test_registry_on_postgresql(tmp_path: Path, postgresql_db_url: str) -> None:
    """The same API on a real PostgreSQL catalog: Vietnamese names, filters, conflicts."""
    instance = WardEye(Config(data_dir=tmp_path / "data", database_url=postgresql_db_url))
    instance.prepare_catalog()
    try:
        province = instance.areas.create(AreaCreate(name="Tỉnh Đồng Tháp", level="province"))
        admin = _client(instance, "admin", "admin")
        created = admin.post("/api/cameras", json=_camera(province.id, name="Chợ Sa Đéc"))
        assert created.status_code == 201, created.text
        assert (
            admin.post("/api/cameras", json=_camera(province.id, name="Chợ Sa Đéc")).status_code
            == 409
        )
        assert admin.post("/api/cameras", json=_camera(999, name="x")).status_code == 422
        [camera] = admin.get("/api/cameras", params={"area_id": province.id}).json()
        assert camera["name"] == "Chợ Sa Đéc"
        assert camera["area_path"] == ["Tỉnh Đồng Tháp"]
        assert "Secr3t" not in admin.get("/api/cameras").text
    finally:
        instance.stop()


def test_session_cookie_is_http_only_strict_and_secure_when_configured(tmp_path: Path) -> None:
    for secure in (False, True):
        config = Config(data_dir=tmp_path / str(secure), server={"secure_cookies": secure})
        instance = WardEye(config)
        instance.prepare_catalog()
        try:
            instance.users.add(UserCreate(username="u1", password=PASSWORD, role="viewer"))
            client = TestClient(
                instance.asgi(),
                base_url="https://testserver",
                headers={"origin": "https://testserver"},
            )
            response = client.post("/api/auth/login", json={"username": "u1", "password": PASSWORD})
            cookie = response.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie
            assert ("secure" in cookie.split(";")[-1] or "; secure" in cookie) is secure
        finally:
            instance.stop()
