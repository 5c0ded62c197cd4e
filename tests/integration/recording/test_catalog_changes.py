"""The recorder follows the catalog (cameras added, disabled), records sub streams and UDP,
and cuts a new segment when a stream changes its parameters mid-connection."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest
from recorder_support import (
    RecorderRun,
    add_camera,
    check_playable,
    gaps,
    segments,
    wait_for,
)

from wardeye.catalog.database import Database
from wardeye.catalog.models import Camera
from wardeye.core.events import CameraRegistered, CameraUpdated
from wardeye.recording.index import GAP_DISABLED
from wardeye.testing.rtsp_server import RtspSimulator


@pytest.mark.rtsp
def test_follows_catalog_changes_records_sub_streams_over_udp(
    catalog: Database, tmp_path: Path, rtsp_server_session: RtspSimulator
) -> None:
    sim = rtsp_server_session
    first = add_camera(catalog, "Cầu Mống", sim.url("cam720"), sub_url=sim.url("vtest"))
    root = tmp_path / "rec"
    run = RecorderRun(catalog, root, segment_seconds=4, transport="udp", substream=True)
    run.recorder.start()
    try:
        wait_for(lambda: len(segments(catalog, first, "sub")) >= 1, 20, "a sub segment")
        second = add_camera(catalog, "Bến Bạch Đằng", sim.url("cam1080"))
        run.bus.publish(CameraRegistered(second, "Bến Bạch Đằng"))
        wait_for(lambda: len(segments(catalog, second)) >= 1, 20, "the new camera recorded")
        with catalog.session() as s:
            cam = s.get(Camera, first)
            assert cam is not None
            cam.enabled = False
        run.bus.publish(CameraUpdated(first))
        wait_for(lambda: any(g.reason == GAP_DISABLED for g in gaps(catalog, first)), 20, "stop")
        assert {h.camera_id for h in run.recorder.health()} == {second}
        stopped_rows = [r.id for r in segments(catalog, first)]
    finally:
        run.recorder.stop()
    assert [r.id for r in segments(catalog, first)] == stopped_rows  # none after disabling
    for stream, size in (("main", (1280, 720)), ("sub", (768, 576))):
        rows = segments(catalog, first, stream)
        check_playable(root, rows)
        assert (rows[0].width, rows[0].height) == size
        last_gap = gaps(catalog, first, stream)[-1]
        assert (last_gap.reason, last_gap.start, last_gap.end) == (GAP_DISABLED, rows[-1].end, None)
    check_playable(root, segments(catalog, second))
    assert segments(catalog, second)[0].width == 1920


def test_parameter_change_mid_stream_starts_a_new_segment(
    catalog: Database, tmp_path: Path
) -> None:
    parts = []
    for size in ("640x360", "320x240"):
        part = tmp_path / f"{size}.ts"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25",
             "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-bf", "0",
             "-pix_fmt", "yuv420p", "-f", "mpegts", str(part)],
            check=True,
        )  # fmt: skip
        parts.append(part)
    clip = tmp_path / "changes.ts"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", f"concat:{parts[0]}|{parts[1]}",
                    "-c", "copy", str(clip)], check=True)  # fmt: skip
    cam = add_camera(catalog, "đổi độ phân giải", str(clip))
    run = RecorderRun(catalog, tmp_path / "rec", segment_seconds=10)
    run.recorder.start()
    try:
        wait_for(lambda: len(segments(catalog, cam)) >= 3, 20, "three runs")
    finally:
        run.recorder.stop()
    rows = segments(catalog, cam)
    check_playable(tmp_path / "rec", rows)
    sizes = [(r.width, r.height) for r in rows[:3]]
    assert sizes == [(640, 360), (320, 240), (640, 360)]
    assert [round(r.duration, 2) for r in rows[:3]] == [2.0, 2.0, 2.0]
    for before, after in itertools.pairwise(rows):
        assert before.end == after.start  # a parameter change is seamless: no gap
