"""kill -9 in the middle of a segment, then a restart: nothing corrupt is ever indexed, nothing
is left on disk that nobody will clean, and the time the recorder was down is a gap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from recorder_support import (
    RecorderRun,
    add_camera,
    check_playable,
    decodes_cleanly,
    gaps,
    segments,
    wait_for,
)

from wardeye.catalog.database import Database
from wardeye.recording.index import GAP_STARTING, GAP_STOPPED
from wardeye.recording.layout import stored_path
from wardeye.testing.rtsp_server import RtspSimulator

pytestmark = pytest.mark.rtsp


def start_recorder_process(db: Database, root: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "wardeye.recording", "--database-url", db.url,
         "--recordings", str(root), "--segment-seconds", "6", "--backoff-initial", "0.5",
         "--backoff-max", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "RECORDING", proc.stderr.read()
    return proc


def test_sigkill_mid_segment_then_restart(
    catalog: Database, tmp_path: Path, rtsp_server_session: RtspSimulator
) -> None:
    sim = rtsp_server_session
    cams = [add_camera(catalog, "Chợ Bến Thành", sim.url("cam720")),
            add_camera(catalog, "Trường Minh Đức", sim.url("hevc"))]  # fmt: skip
    root = tmp_path / "rec"
    proc = start_recorder_process(catalog, root)
    try:
        wait_for(lambda: all(len(segments(catalog, c)) >= 2 for c in cams), 40, "segments")
        time.sleep(3.3)  # about half way into the next 6 s segment
        partials_before = list(root.rglob("*.partial"))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert partials_before, "nothing was being written at the kill: the test proves nothing"
    assert list(root.rglob("*.partial")), "the kill left no partial file"
    indexed_before = {c: segments(catalog, c) for c in cams}
    for rows in indexed_before.values():
        check_playable(root, rows)  # even right after the kill, the index holds no bad file

    run = RecorderRun(catalog, root, segment_seconds=6)
    restarted = time.monotonic()
    run.recorder.start()
    report = run.recorder.last_reconcile
    try:
        assert report is not None and report.salvaged + report.deleted >= 1
        assert not list(root.rglob("*.partial"))
        wait_for(lambda: all(len(segments(catalog, c)) > len(indexed_before[c]) + 1
                             for c in cams), 40, "new segments")  # fmt: skip
    finally:
        run.recorder.stop()
    assert time.monotonic() - restarted < 60

    on_disk = {stored_path(root, p) for p in root.rglob("*.mp4")}
    indexed: set[str] = set()
    salvaged = 0
    for cam in cams:
        rows = segments(catalog, cam)
        indexed |= {r.path for r in rows}
        check_playable(root, rows)
        assert all(decodes_cleanly(root / r.path) for r in rows[-3:])
        # a salvaged segment begins where the last indexed one ended, and is shorter
        old = indexed_before[cam]
        rescued = [r for r in rows if r.start == old[-1].end and r.path != old[-1].path]
        if rescued:
            salvaged += 1
            assert rescued[0].duration < 6 and rescued[0].keyframes >= 1
        down = next(g for g in gaps(catalog, cam) if g.reason == GAP_STOPPED and g.end)
        last_before_restart = max(r.end for r in rows if r.end <= down.end)
        assert down.start == last_before_restart
        starting = [g for g in gaps(catalog, cam) if g.reason == GAP_STARTING and g.end]
        first_after = min(r.start for r in rows if r.start >= down.end)
        assert starting[-1].start == down.end and starting[-1].end == first_after
    assert salvaged == report.salvaged >= 1
    assert on_disk == indexed  # nothing on disk that the index (and so retention) ignores
