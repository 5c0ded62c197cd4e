"""A real WardEye (SQLite catalog built by the migrations) with two communes, cameras, events,
zones, footage rows and one account per role bound to the first commune: the world the
authorization matrix is tried against."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from wardeye.access.permissions import Role
from wardeye.app import WardEye
from wardeye.catalog import events as event_repo
from wardeye.catalog import recordings as recording_repo
from wardeye.catalog.recordings import NewSegment
from wardeye.config.models import Config, SigninConfig
from wardeye.core.clock import utc_now
from wardeye.registry.schemas import AreaCreate, CameraCreate, UserCreate
from wardeye.testing.http import SAME_ORIGIN

PASSWORD = "correct horse battery staple"


@dataclass
class Side:
    """The objects of one commune: in scope for the accounts, or outside it."""

    area: int
    village: int
    camera: int  # public, disabled (so live routes answer at once)
    spare: int  # public, enabled/disabled by the matrix
    household: int  # household camera, registry tier (location only)
    event: int
    zone: int
    user: int
    name: str  # unique text of this side's camera, searched for in answers


@dataclass
class World:
    wardeye: WardEye
    app: FastAPI
    inside: Side
    outside: Side
    owned: int  # the owner account's household camera (live tier), in the inside commune
    accounts: dict[str, str] = field(default_factory=dict)  # role -> username
    footage_at: str = ""

    def client(self, role: str | None) -> TestClient:
        client = TestClient(self.app, base_url="http://testserver", headers=SAME_ORIGIN)
        if role is not None:
            answer = client.post(
                "/api/auth/login", json={"username": self.accounts[role], "password": PASSWORD}
            )
            assert answer.status_code == 200, answer.text
        return client


def _side(wardeye: WardEye, province: int, label: str) -> Side:
    area = wardeye.areas.create(
        AreaCreate(name=f"Xã {label}", level="commune", parent_id=province)
    ).id
    village = wardeye.areas.create(
        AreaCreate(name=f"Thôn {label}", level="village", parent_id=area)
    ).id
    name = f"Camera-{label}-7f3a"

    def camera(suffix: str, **extra: object) -> int:
        body = {
            "name": f"{name}{suffix}",
            "area_id": village,
            "main_url": "rtsp://user:pw@127.0.0.1:9/none",
            "enabled": False,
            **extra,
        }
        return wardeye.cameras.create(CameraCreate.model_validate(body)).id

    public = camera("")
    spare = camera("-spare")
    household = camera("-home", kind="household", consent_tier="registry", owner_name="Bà Lan")
    now = utc_now()
    with wardeye.db.session() as session:
        event = event_repo.add_event(
            session, camera_id=public, kind="intrusion", start=now - timedelta(minutes=5)
        ).id
        zone = event_repo.add_zone(session, public, "Cổng", "line", [(0.1, 0.1), (0.9, 0.9)], {}).id
        recording_repo.add_segment(
            session,
            NewSegment(
                public,
                "main",
                now - timedelta(minutes=10),
                now - timedelta(minutes=9),
                60.0,
                1000,
                1500,
                30,
                "h264",
                640,
                360,
                f"{public}/main/seg.mp4",
            ),
        )
    user = wardeye.users.add(
        UserCreate(username=f"nguoi-{area}", password=PASSWORD, role="officer", area_ids=[area])
    ).id
    return Side(area, village, public, spare, household, event, zone, user, name)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("access") / "data"
    # The matrix is about permissions, not sign-in: second factors are tested in signin/.
    config = Config(data_dir=data, signin=SigninConfig(second_factor="optional"))
    wardeye = WardEye(config)
    wardeye.prepare_catalog()
    province = wardeye.areas.create(AreaCreate(name="Tỉnh Điện Biên", level="province")).id
    inside = _side(wardeye, province, "Mường Phăng")
    outside = _side(wardeye, province, "Nà Tấu")
    accounts: dict[str, str] = {}
    for role in Role:
        username = f"{role.value}-1"
        areas = [] if role == Role.OWNER else [inside.area]
        wardeye.users.add(
            UserCreate(username=username, password=PASSWORD, role=role.value, area_ids=areas)
        )
        accounts[role.value] = username
    owner = wardeye.users.find(accounts[Role.OWNER])
    assert owner is not None
    owned = wardeye.cameras.create(
        CameraCreate(
            name="Nhà bà Lan-owned",
            area_id=inside.village,
            kind="household",
            consent_tier="live",
            main_url="rtsp://127.0.0.1:9/home",
            enabled=False,
            owner_user_id=owner.id,
        )
    ).id
    app = wardeye.asgi()
    at = (utc_now() - timedelta(minutes=9, seconds=30)).isoformat()
    yield World(wardeye, app, inside, outside, owned, accounts, at)
    wardeye.stop()


@pytest.fixture(scope="module")
def data_dir(world: World) -> Path:
    return world.wardeye.config.data_dir
