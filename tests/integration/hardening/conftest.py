"""A real WardEye on a SQLite catalog built by the migrations, an admin signed in, and a
small tree (province › commune › village) with one camera: what hostile input is tried on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from wardeye.app import WardEye
from wardeye.config.models import Config
from wardeye.registry.schemas import AreaCreate, CameraCreate, UserCreate

PASSWORD = "correct horse battery staple"
STREAM_PASSWORD = "Str3am-Qz9xKv"


@dataclass
class Site:
    wardeye: WardEye
    app: FastAPI
    province: int
    commune: int
    village: int
    camera: int

    def client(self, username: str | None = "admin") -> TestClient:
        client = TestClient(
            self.app,
            base_url="http://testserver",
            raise_server_exceptions=False,
            headers={"origin": "http://testserver"},  # as a browser on the site sends
        )
        if username is not None:
            answer = client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD}
            )
            assert answer.status_code == 200, answer.text
        return client


@pytest.fixture
def wardeye(tmp_path: Path) -> Iterator[WardEye]:
    instance = WardEye(Config(data_dir=tmp_path / "data"))
    instance.prepare_catalog()
    yield instance
    instance.stop()


@pytest.fixture
def site(wardeye: WardEye) -> Site:
    province = wardeye.areas.create(AreaCreate(name="Tỉnh Điện Biên", level="province")).id
    commune = wardeye.areas.create(
        AreaCreate(name="Xã Mường Phăng", level="commune", parent_id=province)
    ).id
    village = wardeye.areas.create(
        AreaCreate(name="Bản Phăng", level="village", parent_id=commune)
    ).id
    camera = wardeye.cameras.create(
        CameraCreate(
            name="Cổng UBND xã",
            area_id=village,
            main_url=f"rtsp://admin:{STREAM_PASSWORD}@127.0.0.1:9/main",
            enabled=False,
        )
    ).id
    wardeye.users.add(UserCreate(username="admin", password=PASSWORD, role="admin"))
    return Site(wardeye, wardeye.asgi(), province, commune, village, camera)


@pytest.fixture
def admin(site: Site) -> TestClient:
    return site.client("admin")
