"""Accountability pages in Chromium: an admin manages users and roles on /users (phone and
desktop), and a household owner withdraws a camera and sees who looked at it on /my."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from wardeye_harness import Site, login, wait_for

from wardeye.registry.schemas import CameraCreate, UserCreate

pytestmark = [pytest.mark.browser, pytest.mark.rtsp, pytest.mark.slow]
ADMIN, OWNER, SECRET = "quantri", "chunha", "mật khẩu quản trị 2026"


@pytest.fixture(scope="module")
def accounts(site: Site) -> dict[str, int]:
    wardeye = site.wardeye
    admin = wardeye.users.add(UserCreate(username=ADMIN, password=SECRET, role="admin"))
    owner = wardeye.users.add(UserCreate(username=OWNER, password=SECRET, role="owner"))
    ward = wardeye.areas.list()[-1]
    camera = wardeye.cameras.create(
        CameraCreate(
            name="Nhà bà Lan",
            area_id=ward.id,
            kind="household",
            consent_tier="live",
            owner_user_id=owner.id,
            main_url="rtsp://127.0.0.1:9/unused",
            enabled=False,
            latitude=10.77,
            longitude=106.70,
        )
    )
    return {"admin": admin.id, "owner": owner.id, "camera": camera.id, "ward": ward.id}


def _page(browser: Any, width: int, height: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    return context.new_page()


@pytest.mark.parametrize("width,height", [(1366, 800), (360, 740)])
def test_admin_creates_and_disables_a_user(
    site: Site, browser: Any, accounts: dict[str, int], screenshots: Path, width: int, height: int
) -> None:
    page = _page(browser, width, height)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, site.url, ADMIN, SECRET)
    page.goto(f"{site.url}/users")
    page.wait_for_selector("body[data-users-loaded]")
    name = f"canbo{width}"
    page.click("#new-user")
    page.fill("input[name=username]", name)
    page.fill("input[name=display_name]", "Nguyễn Văn An")
    page.fill("input[name=password]", "mật khẩu mới 12345")
    page.select_option("select[name=role]", "officer")
    page.check(f"input[name=area_ids][value='{accounts['ward']}']")
    page.click("#user-form button[type=submit]")
    row = page.wait_for_selector(f"tr:has-text('{name}')")
    assert "Cán bộ" in row.inner_text()
    created = site.wardeye.users.find(name)
    assert created is not None
    assert (created.role, created.area_ids, created.active) == ("officer", [accounts["ward"]], True)

    row.query_selector("button:has-text('Khoá tài khoản')").click()
    wait_for(lambda: not site.wardeye.users.find(name).active, 5, "the account disabled")  # type: ignore[union-attr]
    page.wait_for_selector(f"tr:has-text('{name}') button:has-text('Mở lại tài khoản')")
    page.screenshot(path=str(screenshots / f"users-{width}.png"), full_page=True)
    assert errors == []
    page.context.close()


def test_owner_withdraws_a_camera_and_sees_who_looked(
    site: Site, browser: Any, accounts: dict[str, int], screenshots: Path
) -> None:
    camera = accounts["camera"]
    page = _page(browser, 360, 740)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, site.url, OWNER, SECRET)
    page.goto(f"{site.url}/my")
    page.wait_for_selector("body[data-my-loaded]")
    section = page.query_selector(f".my-camera[data-camera-id='{camera}']")
    assert section is not None
    page.select_option(f"select.f-tier[data-camera-id='{camera}']", "registry")
    page.wait_for_selector("#my-message:not([hidden])")
    assert site.wardeye.cameras.get(camera).consent_tier == "registry"
    page.reload()
    page.wait_for_selector("body[data-my-loaded]")
    log = page.inner_text(f".my-camera[data-camera-id='{camera}'] .f-access")
    assert "Thay đổi mức chia sẻ" in log  # the owner's own change is in the list
    page.screenshot(path=str(screenshots / "my-cameras-360.png"), full_page=True)
    assert errors == []
    page.context.close()
