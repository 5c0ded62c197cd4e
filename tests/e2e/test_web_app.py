"""End to end in Debian's Chromium against a WardEye recording real RTSP streams: log in, map,
live grid and single view actually playing, playback (seek by clicking the timeline, speed,
frame step, two cameras in sync), health, the MJPEG fallback; phone and desktop screenshots."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from wardeye_harness import DESKTOP, PHONE, Site, login, wait_for

from wardeye.testing.rtsp_server import RtspSimulator

pytestmark = [pytest.mark.browser, pytest.mark.rtsp]

VTEST = "Ngã tư Lê Lợi – Nguyễn Huệ"
CLOCK = "Đồng hồ (đo độ trễ)"
SIZES = {"phone": PHONE, "desktop": DESKTOP}

VIDEO_STATE = """() => [...document.querySelectorAll('video')].map((v) => ({
  t: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames,
  w: v.videoWidth, h: v.videoHeight, ready: v.readyState, paused: v.paused,
  camera: Number(v.dataset.cameraId) }))"""


PLAYER_STATE = """([camera, target]) => {
  const p = window.wardeyePlayback.get(camera).player; const v = p.video; const r = v.buffered;
  return { offset: p.wallTime() - target, origin: p.origin, loading: p.loading != null,
    ready: v.readyState, paused: v.paused, idle: p.idleAt, overlay: p.overlay.textContent,
    current: v.currentTime, wanted: (target - p.origin) / 1000,
    buffered: [...Array(r.length).keys()].map((i) => [r.start(i), r.end(i)]) };
}"""


def new_page(browser: Any, size: str, site: Site, **options: Any) -> Any:
    mobile = size == "phone"
    context = browser.new_context(
        viewport=SIZES[size], device_scale_factor=2 if mobile else 1, is_mobile=mobile,
        has_touch=mobile, **options,
    )  # fmt: skip
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    login(page, site.url)
    return page


def rtsp_connections(port: int | None) -> int:
    out = subprocess.run(
        ["ss", "-Htn", "state", "established", f"( dport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(1 for line in out.splitlines() if line.strip())


def assert_playing(page: Any, count: int) -> list[dict[str, Any]]:
    """Every video decodes frames and its clock moves on."""
    page.wait_for_function(
        f"[...document.querySelectorAll('video')].filter(v => v.readyState >= 2).length >= {count}",
        timeout=20000,
    )
    before = page.evaluate(VIDEO_STATE)
    time.sleep(1.5)
    after = page.evaluate(VIDEO_STATE)
    assert len(after) == count
    for a, b in zip(before, after, strict=True):
        assert b["frames"] > 0, b
        assert b["t"] > a["t"] + 0.5, (a, b)
    return list(after)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_map_grid_and_single_view(
    browser: Any, site: Site, simulator: RtspSimulator, screenshots: Path, size: str
) -> None:
    page = new_page(browser, size, site)
    # Map: one pin per camera, green once the status poll says online; Vietnamese labels.
    page.wait_for_function("document.querySelectorAll('path.pin-online').length === 3")
    assert page.locator(".tabs a[data-page=map]").inner_text().strip() == "Bản đồ"
    assert page.locator("#camera-list li").count() == 3
    page.screenshot(path=str(screenshots / f"map-{size}.png"))
    page.locator("path.pin-online").first.click()
    page.wait_for_selector(".pin-popup img.thumb", timeout=10000)
    page.wait_for_function("document.querySelector('.pin-popup img.thumb')?.naturalWidth > 0")
    page.screenshot(path=str(screenshots / f"map-popup-{size}.png"))

    # Grid: sub streams where cameras have one; every tile plays.
    page.click(".tabs a[data-page=live]")
    tiles = assert_playing(page, 3)
    sizes = {t["camera"]: (t["w"], t["h"]) for t in tiles}
    assert sizes[site.cameras[VTEST]] == (640, 360)  # the sub stream feeds the grid
    page.screenshot(path=str(screenshots / f"live-grid-{size}.png"))
    # 3 recorded main streams + 1 sub stream, shared by however many pages watch.
    assert rtsp_connections(simulator.port) == 4

    # Single view: the main stream.
    page.click(f".tile[data-camera-id='{site.cameras[VTEST]}'] .tile-link")
    (single,) = assert_playing(page, 1)
    assert (single["w"], single["h"]) == (1920, 1080)
    lag = page.evaluate("[...window.wardeyePlayers.values()][0].stats().lag")
    assert lag < 1.0
    page.screenshot(path=str(screenshots / f"live-single-{size}.png"))
    assert page.errors == []
    page.context.close()


def _timeline_px_ms(page: Any, camera: int) -> float:
    """How many ms one CSS pixel of the timeline spans (the precision of a click)."""
    canvas = page.locator(f".timeline[data-camera-id='{camera}'] canvas")
    canvas.scroll_into_view_if_needed()
    view = page.evaluate(f"window.wardeyePlayback.get({camera}).timeline.view")
    return float((view[1] - view[0]) / canvas.bounding_box()["width"])


def _timeline_click(page: Any, camera: int, moment: datetime) -> None:
    """Click the camera's timeline where ``moment`` is drawn (Playwright checks that the canvas
    itself gets the click, not the sticky header or the phone's tab bar over it)."""
    canvas = page.locator(f".timeline[data-camera-id='{camera}'] canvas")
    view = page.evaluate(f"window.wardeyePlayback.get({camera}).timeline.view")
    width = canvas.bounding_box()["width"]
    x = (moment.timestamp() * 1000 - view[0]) / (view[1] - view[0]) * width
    assert 0 < x < width
    canvas.click(position={"x": x, "y": 29})


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_playback_seek_speed_step_and_sync(
    browser: Any, site: Site, screenshots: Path, size: str
) -> None:
    clock, vtest = site.cameras[CLOCK], site.cameras[VTEST]
    site.wait_segments(clock, 5)
    site.wait_segments(vtest, 5)
    page = new_page(browser, size, site)
    now = datetime.now(UTC)
    segments = page.request.get(
        f"{site.url}/api/playback/{clock}/segments",
        params={"start": (now - timedelta(hours=1)).isoformat(), "end": now.isoformat()},
    ).json()
    first = datetime.fromisoformat(segments[0]["start"].replace("Z", "+00:00"))
    last = datetime.fromisoformat(segments[-1]["end"].replace("Z", "+00:00"))
    start = last - timedelta(seconds=7)
    stamp = start.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    page.goto(f"{site.url}/playback?cameras={clock}&t={stamp}")
    assert_playing(page, 1)

    # Click the timeline early in the recording (not loaded yet): footage from that instant
    # plays within a second of the click.
    target = first + timedelta(seconds=2.5)
    page.select_option("#zoom", "900")  # 15 minutes across the timeline
    tolerance = max(1000.0, 1.5 * _timeline_px_ms(page, clock))
    # The moment the first frame of the clicked instant is presented: from the video frame
    # callback, or, when Chromium skips those callbacks (it may for a video scrolled out of
    # view on a loaded machine), from the first animation frame that shows that instant playing.
    page.evaluate(
        """([camera, target, tolerance]) => {
          const p = window.wardeyePlayback.get(camera).player;
          window.__started = null;
          const near = (origin, seconds) => Math.abs(origin + seconds * 1000 - target) < tolerance;
          const onFrame = (now, meta) => {
            if (window.__started !== null) return;
            if (near(p.origin, meta.mediaTime)) {
              window.__started = now;
            } else {
              p.video.requestVideoFrameCallback(onFrame);
            }
          };
          const poll = (now) => {
            if (window.__started !== null) return;
            const q = window.wardeyePlayback.get(camera).player;
            const v = q.video;
            if (!v.paused && v.readyState >= 2 && near(q.origin, v.currentTime)) {
              window.__started = now;
            } else {
              requestAnimationFrame(poll);
            }
          };
          p.video.requestVideoFrameCallback(onFrame);
          requestAnimationFrame(poll);
          window.__clicked = performance.now();
        }""",
        [clock, target.timestamp() * 1000, tolerance],
    )
    _timeline_click(page, clock, target)
    try:
        page.wait_for_function("window.__started !== null", timeout=10000)
    except Exception as exc:
        state = page.evaluate(PLAYER_STATE, [clock, target.timestamp() * 1000])
        raise AssertionError(f"the clicked instant never played: {state}") from exc
    started = page.evaluate("window.__started - window.__clicked")
    print(f"\n[{size}] first frame of the clicked instant {started:.0f} ms after the click")
    assert started < 1000, f"playback started {started:.0f} ms after the click"

    # Speed 4x: the footage's wall clock runs about four times as fast as real time.
    page.select_option("#speed", "4")
    ratio = page.evaluate(
        """async (camera) => {
          const p = window.wardeyePlayback.get(camera).player;
          await new Promise((r) => setTimeout(r, 500));
          const w0 = p.wallTime(), t0 = performance.now();
          await new Promise((r) => setTimeout(r, 2000));
          return (p.wallTime() - w0) / (performance.now() - t0);
        }""",
        clock,
    )
    assert ratio > 2.5, f"footage ran at {ratio:.1f}x"
    page.select_option("#speed", "1")

    # Frame step: paused, one frame (40 ms at 25 fps) further.
    page.click("#play")
    t0 = page.evaluate(f"window.wardeyePlayback.get({clock}).player.video.currentTime")
    page.click("#step-forward")
    page.wait_for_function(
        f"window.wardeyePlayback.get({clock}).player.video.currentTime > {t0} + 0.02"
    )
    t1 = page.evaluate(f"window.wardeyePlayback.get({clock}).player.video.currentTime")
    assert t1 - t0 == pytest.approx(0.04, abs=0.015)
    assert page.evaluate(f"window.wardeyePlayback.get({clock}).player.video.paused")

    # A second camera, in sync with the first.
    page.click("#play")
    page.select_option("#add-camera", str(vtest))
    assert_playing(page, 2)
    time.sleep(1.0)
    walls = page.evaluate("[...window.wardeyePlayback.values()].map((e) => e.player.wallTime())")
    assert abs(walls[0] - walls[1]) < 500, walls
    page.screenshot(path=str(screenshots / f"playback-{size}.png"))
    assert page.errors == []
    page.context.close()


def test_health_page_and_english(browser: Any, site: Site, screenshots: Path) -> None:
    page = new_page(browser, "desktop", site)
    page.goto(f"{site.url}/health?lang=en")
    page.wait_for_function("document.body.dataset.healthLoaded === '1'")
    rows = page.locator("#health-table tbody tr[data-stream=main]")
    assert rows.count() == 3
    for i in range(3):
        row = rows.nth(i)
        assert row.locator(".f-state").inner_text() == "Online"
        assert float(row.locator(".f-fps").inner_text()) > 20
        assert row.locator(".f-day").inner_text().endswith("%")
    assert page.locator(".tabs a[data-page=map]").inner_text().strip() == "Map"
    # Installable: the service worker controls the whole app.
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == f"{site.url}/"
    page.screenshot(path=str(screenshots / "health-desktop.png"))
    page.context.close()


def test_mjpeg_fallback_without_media_source(browser: Any, site: Site) -> None:
    page = new_page(browser, "phone", site)
    page.add_init_script("delete window.MediaSource; delete window.ManagedMediaSource;")
    page.goto(f"{site.url}/live?camera={site.cameras[CLOCK]}")
    page.wait_for_function(
        "document.querySelector('img.mjpeg')?.naturalWidth === 1280", timeout=15000
    )
    assert page.locator("video").is_hidden()
    assert page.errors == []
    page.context.close()


def test_login_is_required(browser: Any, site: Site) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site.url}/live")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", "officer")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "Sai tên đăng nhập hoặc mật khẩu"
    cookie = (
        next(c for c in context.cookies() if c["name"] == "wardeye_session")
        if any(c["name"] == "wardeye_session" for c in context.cookies())
        else None
    )
    assert cookie is None or cookie["httpOnly"]
    context.close()
    wait_for(lambda: True, 1, "nothing")
