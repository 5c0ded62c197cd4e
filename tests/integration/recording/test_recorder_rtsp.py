"""The Recorder against a real RTSP camera simulator, real files and a real SQLite catalog."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from recorder_support import (
    RecorderRun,
    add_camera,
    assert_contiguous,
    check_playable,
    decodes_cleanly,
    dts_steps,
    gaps,
    segments,
    wait_for,
)

from wardeye.catalog.database import Database
from wardeye.core.events import SegmentClosed
from wardeye.recording.index import GAP_STARTING, GAP_STOPPED
from wardeye.testing.rtsp_server import RtspSimulator

pytestmark = pytest.mark.rtsp


def short_clip(path: Path, seconds: int = 4) -> Path:
    """A 360p 25 fps H.264 clip with a 1 s GOP, made with Debian's ffmpeg."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
         "-bf", "0", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def test_records_h264_h265_and_a_looped_file_in_real_time(
    catalog: Database, tmp_path: Path, rtsp_server_session: RtspSimulator
) -> None:
    sim = rtsp_server_session
    clip = short_clip(tmp_path / "loop4s.mp4")
    h264 = add_camera(catalog, "Ngã tư Lê Lợi", sim.url("cam720"))
    hevc = add_camera(catalog, "Cổng chợ (H.265)", sim.url("hevc"))
    demo = add_camera(catalog, "Demo file", clip.as_uri())
    off = add_camera(catalog, "Tắt", sim.url("cam720"), enabled=False)
    root = tmp_path / "recordings"
    run = RecorderRun(catalog, root, segment_seconds=10)
    started = time.monotonic()
    run.recorder.start()
    try:
        wait_for(lambda: all(run.state(c) == "online" for c in (h264, hevc, demo)), 10, "online")
        health = {h.camera_id: h for h in run.recorder.health()}
        assert off not in health  # disabled cameras are not recorded
        time.sleep(3)
        health = {h.camera_id: h for h in run.recorder.health()}
        assert health[h264].fps == pytest.approx(25, abs=3)
        assert health[h264].bitrate_kbps > 500 and health[h264].codec == "h264"
        assert (health[hevc].codec, health[hevc].width) == ("hevc", 1920)
        wait_for(lambda: len(segments(catalog, h264)) >= 2, 30, "two segments")
        time.sleep(3)
    finally:
        run.recorder.stop()
    wall = time.monotonic() - started

    for cam, codec in ((h264, "h264"), (hevc, "hevc"), (demo, "h264")):
        rows = segments(catalog, cam)
        assert len(rows) >= 3, f"camera {cam}: {rows}"
        assert all(r.codec == codec for r in rows)
        check_playable(root, rows)
        assert_contiguous(rows)
        full = rows[:-1]  # the last one was finished early by stop()
        assert all(r.duration == pytest.approx(10, abs=0.05) for r in full)
        assert 0 < rows[-1].duration <= 10.05
        assert decodes_cleanly(root / rows[0].path)
        # timestamps move forward across the simulator's/the file's loop points:
        # every step inside a segment is one frame (40 ms), never back, never a jump
        for row in rows:
            steps = dts_steps(root / row.path)
            assert min(steps) > 0 and max(steps) == pytest.approx(0.04, abs=0.002)
        # indexed gaps: the start-up one closed where footage began; the stop one open
        reasons = [(g.reason, g.end is None) for g in gaps(catalog, cam)]
        assert reasons == [(GAP_STARTING, False), (GAP_STOPPED, True)]
        stopped = gaps(catalog, cam)[-1]
        assert stopped.start == rows[-1].end
        assert gaps(catalog, cam)[0].end == rows[0].start

    # the file source was played in real time and looped: ~4 s clip, ~`wall` s recorded
    demo_rows = segments(catalog, demo)
    recorded = sum(r.duration for r in demo_rows)
    assert recorded == pytest.approx(wall, abs=1.5)
    span = (demo_rows[-1].end - demo_rows[0].start).total_seconds()
    assert span == pytest.approx(recorded, abs=0.01)

    closed = [e for e in run.of(SegmentClosed)]
    assert len(closed) == sum(len(segments(catalog, c)) for c in (h264, hevc, demo))
    assert not list(root.rglob("*.partial"))
