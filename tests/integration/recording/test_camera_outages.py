"""Cameras that drop, never answer, answer garbage, refuse the password, or come back
different: the recorder reports them clearly, retries without spinning, and never stops."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Literal

import pytest
from recorder_support import (
    FAST_RECONNECT,
    FreezableProxy,
    JunkServer,
    RecorderRun,
    add_camera,
    check_playable,
    free_port,
    gaps,
    segments,
    wait_for,
)

from wardeye.catalog.database import Database
from wardeye.config.models import ReconnectConfig
from wardeye.core.clock import utc_now
from wardeye.core.events import CameraCameBack, CameraWentOffline
from wardeye.recording.index import GAP_OFFLINE_PREFIX
from wardeye.testing.media import media_file
from wardeye.testing.rtsp_fixtures import SimulatorFactory
from wardeye.testing.rtsp_server import RtspSimulator

pytestmark = pytest.mark.rtsp


def test_camera_stops_and_returns_gap_bounds_and_events(
    catalog: Database, tmp_path: Path, rtsp_server: RtspSimulator
) -> None:
    cam = add_camera(catalog, "Hẻm 42", rtsp_server.url("cam720"))
    run = RecorderRun(catalog, tmp_path / "rec", segment_seconds=4)
    run.recorder.start()
    try:
        wait_for(lambda: len(segments(catalog, cam)) >= 1, 15, "first segment")
        rtsp_server.stop_stream("cam720")
        dropped_at = utc_now()
        wait_for(lambda: run.of(CameraWentOffline), 10, "offline event")
        assert run.state(cam) == "offline"
        before = segments(catalog, cam)
        # the segment open at the drop was finished and indexed, up to the drop
        assert abs((before[-1].end - dropped_at).total_seconds()) < 1.0
        time.sleep(2)
        rtsp_server.start_stream("cam720")
        back = time.monotonic()
        online = wait_for(lambda: run.state(cam) == "online", 10, "back online")
        assert online - back <= 5.0, "recording must resume within 5 s of the camera's return"
        wait_for(lambda: len(segments(catalog, cam)) > len(before), 15, "a segment after")
    finally:
        run.recorder.stop()
    rows = segments(catalog, cam)
    check_playable(tmp_path / "rec", rows)
    after = next(r for r in rows if r.start > before[-1].start)
    outage = next(g for g in gaps(catalog, cam) if g.reason.startswith(GAP_OFFLINE_PREFIX))
    assert outage.start == before[-1].end  # from the end of the last segment written...
    assert outage.end == after.start  # ...to the start of the first one after the return
    assert len(outage.reason) > len(GAP_OFFLINE_PREFIX)  # why: the last error seen
    went = run.of(CameraWentOffline)
    came = run.of(CameraCameBack)
    assert len(went) == 1 and len(came) == 1 and went[0].camera_id == cam
    assert abs((went[0].at - dropped_at).total_seconds()) < 1.0
    assert came[0].offline_seconds == pytest.approx((came[0].at - went[0].at).total_seconds())
    assert came[0].offline_seconds > 2


@pytest.mark.parametrize("client", ["wardeye", "ffmpeg"])
def test_a_hung_connection_is_detected_by_the_read_timeout(
    catalog: Database,
    tmp_path: Path,
    rtsp_server_session: RtspSimulator,
    client: Literal["wardeye", "ffmpeg"],
) -> None:
    sim = rtsp_server_session
    assert sim.port is not None
    proxy = FreezableProxy(sim.port)
    cam = add_camera(catalog, "qua cầu", sim.url("cam720").replace(str(sim.port), str(proxy.port)))
    # read timeout 3 s, with our RTSP client and with FFmpeg's
    run = RecorderRun(catalog, tmp_path / "rec", segment_seconds=4, rtsp_client=client)
    run.recorder.start()
    try:
        wait_for(lambda: run.state(cam) == "online", 15, "online")
        proxy.freeze()  # bytes stop; sockets stay open
        frozen = time.monotonic()
        lost = wait_for(lambda: run.state(cam) != "online", 15, "the hang noticed")
        assert lost - frozen < 3.0 + 2.0  # the read timeout, not forever
        proxy.thaw()
        wait_for(lambda: run.state(cam) == "online", 20, "online again")
        health = next(h for h in run.recorder.health() if h.camera_id == cam)
        assert health.last_error and "timed out" in health.last_error.lower()
        wait_for(lambda: len(segments(catalog, cam)) >= 2, 20, "segments after the hang")
    finally:
        run.recorder.stop()
        proxy.close()
    check_playable(tmp_path / "rec", segments(catalog, cam))


def test_unreachable_garbage_and_wrong_password_are_contained(
    catalog: Database,
    tmp_path: Path,
    rtsp_simulator_factory: SimulatorFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "s3cret-Pass"
    sim = rtsp_simulator_factory(
        {"secure": media_file("testsrc_720p.mp4"), "open": media_file("vtest.mp4")},
        auth={"secure": ("admin", secret)},
    )
    junk = JunkServer()
    closed = add_camera(catalog, "closed port", f"rtsp://127.0.0.1:{free_port()}/live")
    garbage = add_camera(catalog, "garbage", f"rtsp://127.0.0.1:{junk.port}/live")
    wrong = add_camera(catalog, "wrong password", sim.url("secure", "admin", "WRONGpass"))
    missing = add_camera(catalog, "no such mount", sim.url("open").replace("/open", "/nope"))
    good = add_camera(catalog, "good", sim.url("secure", "admin", secret))
    reconnect = ReconnectConfig(**{**FAST_RECONNECT.model_dump(), "jitter": 0.0})
    run = RecorderRun(catalog, tmp_path / "rec", segment_seconds=4, reconnect=reconnect)
    caplog.set_level(logging.INFO)
    run.recorder.start()
    started = time.monotonic()
    try:
        time.sleep(8)
        health = {h.camera_id: h for h in run.recorder.health()}
        elapsed = time.monotonic() - started
    finally:
        run.recorder.stop()
        junk.close()
    # backoff 0.5, 1, 2, 2, 2 s: about 6 attempts in 8 s, never a busy loop
    budget = 2 + int(elapsed / 2)
    for cam in (closed, garbage, wrong, missing):
        h = health[cam]
        assert h.state == "offline", h
        assert h.last_error and "WRONGpass" not in h.last_error
        assert 3 <= h.connect_attempts <= budget, h
        lines = [r for r in caplog.records if r.name == "wardeye.ingest.reader"
                 and r.getMessage().startswith(f"camera {cam}/main:")]  # fmt: skip
        # one line per failed attempt (the last may still be under way)
        assert h.connect_attempts - 1 <= len(lines) <= h.connect_attempts
        assert (g := gaps(catalog, cam)) and g[0].reason.startswith(GAP_OFFLINE_PREFIX)
    assert "Connection refused" in (health[closed].last_error or "")
    assert "401" in (health[wrong].last_error or "")
    assert "404" in (health[missing].last_error or "")
    assert junk.connections >= 3
    assert {e.camera_id for e in run.of(CameraWentOffline)} == {closed, garbage, wrong, missing}
    assert health[good].state == "online" and segments(catalog, good)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert secret not in text and "WRONGpass" not in text and "admin:" not in text


def test_camera_reboots_with_another_resolution(
    catalog: Database, tmp_path: Path, rtsp_simulator_factory: SimulatorFactory
) -> None:
    first = rtsp_simulator_factory({"cam": media_file("testsrc_720p.mp4")})
    port = first.port
    cam = add_camera(catalog, "Ngã ba", first.url("cam"))
    run = RecorderRun(catalog, tmp_path / "rec", segment_seconds=4)
    second = RtspSimulator({"cam": media_file("vtest.mp4")})
    run.recorder.start()
    try:
        wait_for(lambda: len(segments(catalog, cam)) >= 1, 15, "a 720p segment")
        first.close()  # the camera reboots...
        second.start(port=port)  # ...and comes back at 768x576
        wait_for(lambda: any(r.width == 768 for r in segments(catalog, cam)), 20, "new size")
    finally:
        run.recorder.stop()
        second.close()
    rows = segments(catalog, cam)
    check_playable(tmp_path / "rec", rows)
    sizes = [(r.width, r.height) for r in rows]
    assert sizes[0] == (1280, 720) and sizes[-1] == (768, 576)
    change = next(i for i, size in enumerate(sizes) if size == (768, 576))
    assert all(size == (1280, 720) for size in sizes[:change])
    assert rows[change].start - rows[change - 1].end >= timedelta(0)
