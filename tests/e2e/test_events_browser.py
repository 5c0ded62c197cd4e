"""Analytics events in real time, end to end: a WardEye with analytics on records and analyses a
vtest camera served by the RTSP simulator, with a counting line across its walkway. Real
people crossing it raise events; the map page pops an alert, and the events page (phone and
desktop) receives new ones over Server-Sent Events without a reload, with their snapshot, and
"play back" opens the footage."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from wardeye_harness import DESKTOP, FAST_RECONNECT, PASSWORD, PHONE, USER, Site, login, wait_for

from wardeye.analytics.zones import ZoneSettings
from wardeye.app import WardEye
from wardeye.config.models import AnalyticsConfig, Config, RecordingConfig
from wardeye.recording.recorder import Recorder
from wardeye.registry.schemas import AreaCreate, CameraCreate, UserCreate
from wardeye.testing.rtsp_fixtures import start_simulator
from wardeye.testing.rtsp_server import RtspSimulator

pytestmark = [pytest.mark.browser, pytest.mark.rtsp]

CAMERA = "Ngã tư Lê Lợi – Nguyễn Huệ"
LINE = [(0.6706, 0.1736), (0.6706, 0.8333)]  # the demo's counting line across vtest's walkway
ROWS_FROM = """(source) => [...document.querySelectorAll(`#event-list li[data-source=${source}]`)]
  .map((li) => Number(li.dataset.eventId))"""
ALL_ROWS = """() => [...document.querySelectorAll('#event-list li')]
  .map((li) => ({ id: Number(li.dataset.eventId), source: li.dataset.source }))"""


@pytest.fixture(scope="module")
def analysed_site(media: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    sim: RtspSimulator = start_simulator({"vtest": media / "vtest.mp4"})
    config = Config(
        data_dir=tmp_path_factory.mktemp("events-site") / "data",
        recording=RecordingConfig(segment_seconds=4.0, reconnect=FAST_RECONNECT),
        analytics=AnalyticsConfig(enabled=True, fps=5.0),
    )
    wardeye = WardEye(config)
    try:
        wardeye.prepare_catalog()
        ward = wardeye.areas.create(AreaCreate(name="Phường Bến Nghé", level="commune"))
        camera = wardeye.cameras.create(
            CameraCreate(name=CAMERA, area_id=ward.id, main_url=sim.url("vtest"))
        )
        wardeye.events.add_zone(camera.id, "Vạch đếm lối đi", "line", LINE, ZoneSettings())
        wardeye.users.add(UserCreate(username=USER, password=PASSWORD, role="officer"))
        wardeye.start_background()
        recorder = next(p for p in wardeye.background if isinstance(p, Recorder))
        site = Site(wardeye, recorder, {CAMERA: camera.id})
        site.serve()
        site.wait_online()
        yield site
        site.close()
    finally:
        wardeye.stop()
        sim.close()


def open_page(browser: Any, size: dict[str, int], site: Site) -> Any:
    phone = size == PHONE
    context = browser.new_context(
        viewport=size, device_scale_factor=2 if phone else 1, is_mobile=phone, has_touch=phone
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    login(page, site.url)
    return page


def first_live_row(page: Any, before: list[int], timeout_ms: int = 40000) -> int:
    """Wait for a row the SSE feed delivered that the page did not list when it loaded."""
    handle = page.wait_for_function(
        """(before) => [...document.querySelectorAll('#event-list li[data-source=live]')]
          .map((li) => Number(li.dataset.eventId)).find((id) => !before.includes(id))""",
        arg=before,
        timeout=timeout_ms,
    )
    return int(handle.json_value())


def test_events_arrive_live_with_snapshot_and_play_back(
    browser: Any, analysed_site: Site, screenshots: Path
) -> None:
    site = analysed_site
    camera_id = site.cameras[CAMERA]
    started = time.monotonic()
    # Some events exist before the page opens, so the first list is not empty.
    wait_for(lambda: site.wardeye.events.find(None, limit=1), 45, "a first analytics event")
    phone = open_page(browser, PHONE, site)
    desktop = open_page(browser, DESKTOP, site)
    try:
        # The map page (where login lands) pops an alert and counts it on the Events tab.
        desktop.wait_for_selector(".toasts .toast", timeout=30000)
        assert desktop.locator("#events-badge").is_visible()
        phone.wait_for_selector(".toasts .toast", timeout=30000)
        phone.wait_for_timeout(400)
        phone.screenshot(path=str(screenshots / "map-alert-phone.png"))
        assert "Vượt vạch" in phone.locator(".toasts .toast").first.inner_text()

        listed: dict[str, list[int]] = {}
        for name, page in (("phone", phone), ("desktop", desktop)):
            page.goto(f"{site.url}/events")
            page.wait_for_function("document.body.dataset.eventsLoaded === '1'")
            page.wait_for_function("document.body.dataset.feed === 'live'", timeout=10000)
            rows = page.evaluate(ALL_ROWS)  # one look, so no event slips in between
            listed[name] = [r["id"] for r in rows if r["source"] == "list"]
            assert listed[name], f"{name}: the events already written are listed"
            assert all(r["source"] in ("list", "live") for r in rows), rows
            assert len({r["id"] for r in rows}) == len(rows), "an event shown twice"

        fresh = {name: first_live_row(page, listed[name]) for name, page in
                 (("phone", phone), ("desktop", desktop))}  # fmt: skip
        for name, page in (("phone", phone), ("desktop", desktop)):
            event_id = fresh[name]
            assert event_id not in listed[name]
            row = page.locator(f'#event-list li[data-event-id="{event_id}"]')
            assert row.get_attribute("data-camera-id") == str(camera_id)
            record = site.wardeye.events.get(event_id)
            assert record is not None and record.camera_id == camera_id
            assert CAMERA in row.inner_text()
            if record.snapshot is not None:
                row.scroll_into_view_if_needed()
                page.wait_for_function(
                    """(id) => { const img = document.querySelector(
                         `#event-list li[data-event-id="${id}"] img`);
                       return img && img.complete && img.naturalWidth > 0; }""",
                    arg=event_id,
                    timeout=10000,
                )
            # Shown in the viewer's zone (Asia/Ho_Chi_Minh), day first.
            local = record.start.astimezone(_zone()).strftime("%d/%m/%Y %H:%M:%S")
            assert local in row.locator("time").inner_text()
            page.wait_for_timeout(400)  # let the slide-in finish for the picture
            page.screenshot(path=str(screenshots / f"events-{name}.png"))
            assert page.errors == [], page.errors

        # Filters: a kind nobody raised empties the list and goes into the address.
        desktop.select_option("#filter-kind", "loitering")
        desktop.wait_for_function("document.querySelectorAll('#event-list li').length === 0")
        desktop.wait_for_selector("#event-empty", state="visible")
        assert "kind=loitering" in desktop.url
        desktop.select_option("#filter-kind", "line_crossing")
        desktop.wait_for_selector("#event-list li[data-kind=line_crossing]")
        assert desktop.locator("#event-list li:not([data-kind=line_crossing])").count() == 0

        # Phone: "Xem lại" opens playback of that camera 3 s before the event.
        event_id = fresh["phone"]
        record = site.wardeye.events.get(event_id)
        assert record is not None
        link = phone.locator(f'#event-list li[data-event-id="{event_id}"] a.play-back')
        assert link.inner_text().strip().endswith("Xem lại")
        link.click()
        phone.wait_for_url("**/playback?**")
        query = parse_qs(urlparse(phone.url).query)
        assert query["cameras"] == [str(camera_id)]
        wanted = datetime.fromisoformat(query["t"][0].replace("Z", "+00:00"))
        lead = record.start - wanted  # JavaScript keeps milliseconds
        assert timedelta(seconds=3) <= lead < timedelta(seconds=3, milliseconds=1), lead
        phone.wait_for_function(
            "(id) => window.wardeyePlayback && window.wardeyePlayback.has(id)", arg=camera_id
        )
        assert phone.locator("#timelines .timeline").count() == 1
        phone.wait_for_function(
            "() => { const v = document.querySelector('#players video'); "
            "return v && v.readyState >= 2 && v.videoWidth > 0; }",
            timeout=20000,
        )  # the footage of that moment plays
        phone.screenshot(path=str(screenshots / "events-playback-phone.png"))
        assert phone.errors == [], phone.errors
    finally:
        phone.context.close()
        desktop.context.close()
    print(f"events page e2e: {time.monotonic() - started:.1f} s")


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Ho_Chi_Minh")


class CuttableLink:
    """A TCP relay between the browser and WardEye that can drop every connection and refuse new
    ones for a while: a phone losing its signal, as the server and the browser see it."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.down = threading.Event()
        self.closing = threading.Event()
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self.closing.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            if self.down.is_set():
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream))
            with self.lock:
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.down.set()
        with self.lock:
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            self.open.clear()

    def restore(self) -> None:
        self.down.clear()

    def close(self) -> None:
        self.cut()
        self.closing.set()
        self.listener.close()


def test_feed_reconnects_and_fills_the_gap(browser: Any, analysed_site: Site) -> None:
    """The link drops: the page says so, EventSource reconnects when the link is back, and the
    events written meanwhile (the feed does not replay them) are fetched."""
    site = analysed_site
    link = CuttableLink(int(site.url.rsplit(":", 1)[1]))
    url = f"http://127.0.0.1:{link.port}"
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        login(page, url)
        page.goto(f"{url}/events?lang=en")
        page.wait_for_function("document.body.dataset.eventsLoaded === '1'")
        page.wait_for_function("document.body.dataset.feed === 'live'", timeout=10000)
        link.cut()
        page.wait_for_function("document.body.dataset.feed === 'reconnecting'", timeout=10000)
        assert page.locator("#feed-state").inner_text() == "Connection lost, retrying…"
        rows = page.evaluate(ROWS_FROM, "list") + page.evaluate(ROWS_FROM, "live")
        shown = max(rows, default=0)
        missed = wait_for(
            lambda: [e.id for e in site.wardeye.events.find(None, limit=5) if e.id > shown],
            40,
            "an event written while the link was down",
        )
        time.sleep(1)
        link.restore()
        page.wait_for_function("document.body.dataset.feed === 'live'", timeout=20000)
        gap = page.wait_for_selector(
            f'#event-list li[data-event-id="{min(missed)}"]', timeout=10000
        )
        assert gap.get_attribute("data-source") == "list"  # fetched again: not replayed by SSE
        assert page.locator("#feed-state").inner_text() == "Receiving live"
        assert errors == [], errors
    finally:
        context.close()
        link.close()
