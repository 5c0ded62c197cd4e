"""The audit API on a real WardEye: who may read what, scoped to the reader's areas; CSV;
owners see every access to their own camera; reading the audit is itself audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wardeye.app import WardEye
from wardeye.audit.records import AuditAction, AuditRecord
from wardeye.config.models import Config, SigninConfig
from wardeye.registry.schemas import AreaCreate, CameraCreate, UserCreate

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 11, 30, tzinfo=UTC)


@dataclass
class Site:
    wardeye: WardEye
    cam_a: int
    cam_b: int
    home: int
    users: dict[str, int]

    def client(self, username: str | None) -> TestClient:
        client = TestClient(self.wardeye.asgi(), base_url="http://testserver")
        if username is not None:
            answer = client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD}
            )
            assert answer.status_code == 200, answer.text
        return client


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("audit-api") / "data"
    wardeye = WardEye(Config(data_dir=data, signin=SigninConfig(second_factor="optional")))
    wardeye.prepare_catalog()
    province = wardeye.areas.create(AreaCreate(name="Tỉnh Điện Biên", level="province")).id
    area_a = wardeye.areas.create(AreaCreate(name="Phường Him Lam", level="commune",
                                             parent_id=province)).id  # fmt: skip
    area_b = wardeye.areas.create(AreaCreate(name="Xã Nà Tấu", level="commune",
                                             parent_id=province)).id  # fmt: skip
    users: dict[str, int] = {}
    for name, role, areas in (
        ("root", "admin", []), ("admin-a", "admin", [area_a]),
        ("officer-a", "officer", [area_a]),
        ("officer-b", "officer", [area_b]), ("owner", "owner", []),
    ):  # fmt: skip
        created = UserCreate(username=name, password=PASSWORD, role=role, area_ids=areas)
        users[name] = wardeye.users.add(created).id

    def camera(name: str, area: int, **extra: object) -> int:
        body = {"name": name, "area_id": area, "main_url": "rtsp://127.0.0.1:9/x",
                "enabled": False, **extra}  # fmt: skip
        return wardeye.cameras.create(CameraCreate.model_validate(body)).id

    cam_a = camera("Chợ Him Lam", area_a)
    cam_b = camera("Cầu Nà Tấu", area_b)
    home = camera("Nhà bà Lan", area_a, kind="household", consent_tier="live",
                  owner_user_id=users["owner"])  # fmt: skip
    log = wardeye.audit
    for n, (who, action, camera_id, case) in enumerate(
        [
            ("officer-a", AuditAction.LIVE_START, cam_a, None),
            ("officer-b", AuditAction.LIVE_START, cam_b, None),
            ("officer-a", AuditAction.SIGN_IN, None, None),
            ("officer-b", AuditAction.SIGN_IN, None, None),
            ("officer-a", AuditAction.PLAYBACK, home, "VV-2026-17"),
            ("officer-b", AuditAction.PLAYBACK, cam_b, "VV-2026-17"),
        ]
    ):
        log.append(AuditRecord(action=action, result="ok", user_id=users[who], username=who,
                               role="officer", camera_id=camera_id, case_ref=case,
                               reason="=1+1" if n == 4 else "tuần tra",
                               start=T0 if camera_id else None,
                               at=T0 + timedelta(minutes=n)))  # fmt: skip
    yield Site(wardeye, cam_a, cam_b, home, users)
    wardeye.stop()


def _mine(entries: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    """The seeded entries among the answers (sign-ins and audit reads happen meanwhile)."""
    return [(e["username"], e["action"], e["camera_id"]) for e in entries
            if e["role"] == "officer" and str(e["at"]).startswith("2026-11-30")]  # fmt: skip


def test_who_may_read(site: Site) -> None:
    assert site.client(None).get("/api/audit").status_code == 401
    for name in ("officer-a", "owner"):
        client = site.client(name)
        assert client.get("/api/audit").status_code == 403
        assert client.get("/api/audit.csv").status_code == 403
    assert site.client("officer-a").get(f"/api/my/cameras/{site.home}/access").status_code == 403


def test_unbound_reader_sees_everything(site: Site) -> None:
    answer = site.client("root").get("/api/audit", params={"limit": 500})
    assert answer.status_code == 200
    assert _mine(answer.json()["entries"]) == [
        ("officer-b", "playback", site.cam_b), ("officer-a", "playback", site.home),
        ("officer-b", "sign_in", None), ("officer-a", "sign_in", None),
        ("officer-b", "live_start", site.cam_b), ("officer-a", "live_start", site.cam_a),
    ]  # fmt: skip


def test_bound_reader_sees_only_their_areas(site: Site) -> None:
    for name in ("admin-a",):  # commander-a needs a second factor to sign in (signin tests)
        client = site.client(name)
        answer = client.get("/api/audit", params={"limit": 500})
        assert answer.status_code == 200, answer.text
        entries = answer.json()["entries"]
        assert _mine(entries) == [
            ("officer-a", "playback", site.home), ("officer-a", "sign_in", None),
            ("officer-a", "live_start", site.cam_a),
        ]  # fmt: skip
        assert "officer-b" not in {e["username"] for e in entries}
        outside = client.get("/api/audit", params={"camera_id": site.cam_b}).json()
        assert outside["entries"] == []
        csv_text = client.get("/api/audit.csv").text
        assert "officer-a" in csv_text and "officer-b" not in csv_text


def test_filters_paging_and_the_read_itself_is_audited(site: Site) -> None:
    client = site.client("root")
    params: dict[str, object] = {"case_ref": "VV-2026-17", "action": ["playback"], "limit": 1}
    first = client.get("/api/audit", params=params).json()
    assert [e["camera_id"] for e in first["entries"]] == [site.cam_b]
    params["before_seq"] = first["next_before_seq"]
    second = client.get("/api/audit", params=params).json()
    assert [e["camera_id"] for e in second["entries"]] == [site.home]
    assert second["next_before_seq"] is None
    window = {"since": "2026-11-30T07:01:00+07:00", "until": "2026-11-30T00:03:00Z",
              "user_id": site.users["officer-b"]}  # fmt: skip
    entries = client.get("/api/audit", params=window).json()["entries"]
    assert [(e["action"], e["camera_id"]) for e in entries] == [("live_start", site.cam_b)]
    reads = client.get("/api/audit", params={"action": "audit_read", "username": "root"})
    newest = reads.json()["entries"][0]
    assert (newest["username"], newest["role"], newest["result"]) == ("root", "admin", "ok")
    assert newest["detail"]["user_id"] == site.users["officer-b"]
    assert newest["detail"]["since"] == "2026-11-30T00:01:00+00:00"


def test_csv_export(site: Site) -> None:
    answer = site.client("root").get("/api/audit.csv", params={"case_ref": "VV-2026-17"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"].startswith('attachment; filename="wardeye-audit-')
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [r["camera_id"] for r in rows] == [str(site.cam_b), str(site.home)]
    assert rows[1]["reason"] == "'=1+1"
    assert rows[1]["at_Asia/Ho_Chi_Minh"] == "30/11/2026 07:04:00"


def test_owner_sees_every_access_to_their_camera(site: Site) -> None:
    client = site.client("owner")
    answer = client.get(f"/api/my/cameras/{site.home}/access")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["camera_id"] == site.home
    assert [(e["username"], e["action"], e["case_ref"]) for e in body["entries"]] == [
        ("officer-a", "playback", "VV-2026-17")
    ]
    assert "client_address" not in body["entries"][0] and "hash" not in body["entries"][0]
    again = client.get(f"/api/my/cameras/{site.home}/access").json()
    assert again["entries"] == body["entries"]  # their own look is not listed back to them
    for other in (site.cam_a, site.cam_b, 999999):
        assert client.get(f"/api/my/cameras/{other}/access").status_code == 404
    root = site.client("root")
    reads = root.get("/api/audit", params={"action": "audit_read", "camera_id": site.home})
    assert {e["username"] for e in reads.json()["entries"]} == {"owner"}


@pytest.mark.parametrize(
    "params",
    [
        {"camera_id": 2**63}, {"user_id": 0}, {"before_seq": -1}, {"limit": 501},
        {"since": "0001-01-01T00:00:00+05:00"}, {"until": "9999-12-31T23:59:59-05:00"},
        {"action": "not_an_action"}, {"result": "maybe"}, {"username": "x" * 65},
    ],
)  # fmt: skip
def test_out_of_range_filters_answer_422(site: Site, params: dict[str, object]) -> None:
    client = site.client("root")
    assert client.get("/api/audit", params=params).status_code == 422
    assert client.get("/api/audit.csv", params=params).status_code == 422


def test_data_dir_holds_the_key_and_checkpoint_file(site: Site) -> None:
    data: Path = site.wardeye.config.data_dir
    site.wardeye.audit.checkpoint()
    assert (data / "site_key.ed25519").exists() and (data / "audit" / "checkpoints.jsonl").exists()
    assert site.wardeye.audit.verify().intact
