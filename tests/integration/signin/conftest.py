"""A real WardEye (SQLite catalog built by the migrations) with short sign-in windows, so the
throttling, lockout and expiry rules run for real in seconds instead of minutes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from wardeye.app import WardEye
from wardeye.catalog.models import AuditEntry
from wardeye.config.models import Config, SigninConfig
from wardeye.registry.schemas import AreaCreate, UserCreate, UserView
from wardeye.signin import totp
from wardeye.signin.services import SigninServices

PASSWORD = "correct horse battery staple"
ORIGIN = "http://testserver"


@dataclass
class Site:
    wardeye: WardEye
    app: FastAPI
    area: int  # a commune
    other_area: int  # its sibling

    @property
    def signin(self) -> SigninServices:
        services: SigninServices = self.app.state.signin
        return services

    def client(self, address: str = "10.0.0.1", origin: str | None = ORIGIN) -> TestClient:
        headers = {"origin": origin} if origin else {}
        return TestClient(self.app, base_url=ORIGIN, client=(address, 50000), headers=headers)

    def user(
        self, username: str, role: str = "officer", areas: list[int] | None = None
    ) -> UserView:
        return self.wardeye.users.add(
            UserCreate(username=username, password=PASSWORD, role=role,
                       area_ids=[self.area] if areas is None else areas)
        )  # fmt: skip

    def login(self, username: str, address: str = "10.0.0.1") -> TestClient:
        client = self.client(address)
        answer = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "signed_in", answer.text
        return client

    def audit(self, action: str) -> list[AuditEntry]:
        with self.wardeye.db.session() as session:
            query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
            return list(session.scalars(query))


def current_code(secret: str) -> str:
    from wardeye.core.clock import utc_now

    return totp.totp(totp.from_base32(secret), utc_now())


SiteFactory = Callable[..., Site]


@pytest.fixture
def make_site(tmp_path: Path) -> Iterator[SiteFactory]:
    made: list[WardEye] = []

    def make(**signin: Any) -> Site:
        config = Config(data_dir=tmp_path / f"data{len(made)}", signin=SigninConfig(**signin))
        wardeye = WardEye(config)
        made.append(wardeye)
        wardeye.prepare_catalog()
        province = wardeye.areas.create(AreaCreate(name="Tỉnh Điện Biên", level="province")).id
        area = wardeye.areas.create(
            AreaCreate(name="Xã Mường Phăng", level="commune", parent_id=province)
        ).id
        other = wardeye.areas.create(
            AreaCreate(name="Xã Nà Tấu", level="commune", parent_id=province)
        ).id
        app = wardeye.asgi()
        if not hasattr(wardeye, "signin"):
            # Until the composition root builds SigninServices from config.signin and hands
            # them to create_api (api/app.py falls back to the defaults meanwhile).
            app.state.signin = SigninServices.build(wardeye.db, config.signin, config.site_name)
        return Site(wardeye, app, area, other)

    yield make
    for wardeye in made:
        wardeye.stop()


@pytest.fixture
def site(make_site: SiteFactory) -> Site:
    return make_site()
