"""The audit page in Chromium, on a phone (360 px) and a desktop: filters, the table, paging,
the CSV link, both languages. A real WardEye serves it (no cameras need to stream)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from wardeye_harness import free_port, login

from wardeye.app import WardEye
from wardeye.audit.records import AuditAction, AuditRecord
from wardeye.config.models import Config
from wardeye.registry.schemas import AreaCreate, CameraCreate, UserCreate

pytestmark = pytest.mark.browser
PASSWORD = "mật khẩu đủ dài 42"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


@dataclass
class AuditSite:
    wardeye: WardEye
    url: str
    camera: int


@pytest.fixture(scope="module")
def audit_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditSite]:
    wardeye = WardEye(Config(data_dir=tmp_path_factory.mktemp("audit-web") / "data"))
    wardeye.prepare_catalog()
    area = wardeye.areas.create(AreaCreate(name="Phường Him Lam", level="commune")).id
    camera = wardeye.cameras.create(CameraCreate(name="Chợ Him Lam <b>", area_id=area,
                                                 main_url="rtsp://127.0.0.1:9/x",
                                                 enabled=False)).id  # fmt: skip
    wardeye.users.add(UserCreate(username="quantri", password=PASSWORD, role="admin"))
    wardeye.users.add(UserCreate(username="canbo", password=PASSWORD, role="officer"))
    for n in range(130):
        wardeye.audit.append(
            AuditRecord(
                action=AuditAction.PLAYBACK if n % 2 else AuditAction.LIVE_START,
                result="denied" if n == 129 else "ok",
                user_id=2, username="canbo", role="officer", camera_id=camera,
                start=T0 if n % 2 else None, end=T0 + timedelta(minutes=5) if n % 2 else None,
                case_ref="VV-2026-17" if n % 10 == 0 else None,
                reason="<img src=x onerror=alert(1)>" if n == 129 else "tuần tra",
                at=T0 + timedelta(minutes=n),
            )
        )  # fmt: skip
    server = uvicorn.Server(uvicorn.Config(wardeye.asgi(), host="127.0.0.1", port=free_port(),
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    try:
        yield AuditSite(wardeye, f"http://127.0.0.1:{server.config.port}", camera)
    finally:
        server.should_exit = True
        thread.join(15)
        wardeye.stop()


def _page(browser: Any, site: AuditSite, size: dict[str, int], user: str = "quantri") -> Any:
    phone = size == PHONE
    context = browser.new_context(
        viewport=size, is_mobile=phone, has_touch=phone, timezone_id="Asia/Ho_Chi_Minh",
        accept_downloads=True,
    )  # fmt: skip
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    login(page, site.url, user, PASSWORD)
    return page


def _rows(page: Any) -> int:
    page.wait_for_selector("#audit-table[aria-busy=false]")
    return int(page.locator("#audit-rows tr").count())


def test_phone_search_page_and_export(
    browser: Any, audit_site: AuditSite, screenshots: Path
) -> None:
    page = _page(browser, audit_site, PHONE)
    page.goto(f"{audit_site.url}/audit?lang=vi")
    assert _rows(page) == 100  # the first page; the sign-ins and reads are newer still
    first = page.locator("#audit-rows tr").first
    assert "Nhật ký truy cập" in page.locator("h1").inner_text()
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= PHONE["width"], f"the page is {scroll} px wide on a 360 px phone"
    page.screenshot(path=str(screenshots / "audit-phone.png"), full_page=False)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(screenshots / "audit-desktop.png"), full_page=False)
    page.set_viewport_size(PHONE)
    page.select_option("select[name=action]", "playback")
    page.wait_for_function("document.querySelectorAll('#audit-rows tr').length === 65")
    assert "Xem lại ghi hình" in first.inner_text()
    assert "Đoạn ghi hình: 30/11/2026 08:00:00 – 30/11/2026 08:05:00" in first.inner_text()
    page.fill("input[name=case]", "VV-2026-17")
    page.click("button[type=submit]")
    page.wait_for_function("document.querySelectorAll('#audit-rows tr').length === 0")
    assert page.locator("#audit-empty").is_visible()
    page.fill("input[name=case]", "")
    page.select_option("select[name=action]", "")
    page.fill("input[name=from_date]", "30/11/2026")
    page.fill("input[name=from_time]", "09:00")
    page.fill("input[name=to_date]", "30/11/2026")
    page.fill("input[name=to_time]", "09:10")
    page.click("button[type=submit]")
    page.wait_for_function("document.querySelectorAll('#audit-rows tr').length === 10")
    assert "30/11/2026 09:09:00" in first.inner_text()
    assert "from_time=09%3A00" in page.url  # the search is in the address
    href = page.get_attribute("#audit-export", "href")
    assert href.startswith("/api/audit.csv?") and "since=2026-11-30T02%3A00" in href
    with page.expect_download() as download:
        page.click("#audit-export")
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert text.count("\r\n") == 1 + 10 and "canbo" in text
    page.fill("input[name=from_date]", "31/02/x")
    page.click("button[type=submit]")
    assert page.locator("#audit-error").is_visible()
    assert page.errors == []


def test_desktop_paging_english_and_escaping(browser: Any, audit_site: AuditSite) -> None:
    page = _page(browser, audit_site, DESKTOP)
    page.goto(f"{audit_site.url}/audit?lang=en&user=canbo")
    assert _rows(page) == 100
    assert page.locator("#audit-more").is_visible()
    page.click("#audit-more")
    page.wait_for_function("document.querySelectorAll('#audit-rows tr').length === 130")
    assert page.locator("#audit-more").is_hidden()
    newest = page.locator("#audit-rows tr").first.inner_text()
    assert "Refused" in newest and "<img src=x onerror=alert(1)>" in newest
    assert "Chợ Him Lam <b>" in newest  # names and reasons are text, never markup
    assert page.locator("#audit-rows img").count() == 0
    assert "Audit log" in page.locator("h1").inner_text()
    assert page.errors == []


def test_readers_only(browser: Any, audit_site: AuditSite) -> None:
    page = _page(browser, audit_site, DESKTOP, user="canbo")
    answer = page.goto(f"{audit_site.url}/audit")
    assert answer is not None and answer.status == 403
