"""End to end on a small real disk: the recorder fills a tmpfs, retention makes room through
``on_disk_full``, recording goes on, and the index still matches the files (slow; needs root
to mount the tmpfs)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from recorder_support import FAST_RECONNECT, add_camera, check_playable, gaps, segments

from wardeye.catalog.database import Database
from wardeye.config.models import RecordingConfig, RetentionConfig
from wardeye.core.bus import InProcessBus
from wardeye.recording.index import GAP_DISK_FULL
from wardeye.recording.layout import stored_path
from wardeye.recording.recorder import Recorder
from wardeye.recording.retention import RetentionService
from wardeye.testing.rtsp_server import RtspSimulator
from wardeye.testing.tmpfs import small_tmpfs

pytestmark = [pytest.mark.rtsp, pytest.mark.slow]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "disk", 24) as mount:
        yield mount


def test_recorder_keeps_recording_on_a_full_disk(
    catalog: Database, small_disk: Path, rtsp_server_session: RtspSimulator
) -> None:
    cams = [add_camera(catalog, f"cam {i}", rtsp_server_session.url("cam1080")) for i in (1, 2)]
    retention = RetentionService(
        catalog, RetentionConfig(max_age_days=None, keep_free_gb=0), small_disk
    )
    asked: list[int] = []

    def on_disk_full(wanted: int) -> bool:
        asked.append(wanted)
        return retention.make_room(wanted)

    config = RecordingConfig(segment_seconds=4, reconnect=FAST_RECONNECT)
    recorder = Recorder(catalog, config, small_disk, InProcessBus(), on_disk_full)
    recorder.start()
    try:
        time.sleep(75)  # 2 x 4 Mbit/s = ~75 MB: the 24 MiB disk fills three times over
        states = {h.state for h in recorder.health()}
    finally:
        recorder.stop()
    assert asked, "the disk never filled"
    assert states == {"online"}
    indexed: set[str] = set()
    disk_full_gaps = 0
    for cam in cams:
        rows = segments(catalog, cam)
        check_playable(small_disk, rows)
        indexed |= {r.path for r in rows}
        assert rows[-1].end.timestamp() > time.time() - 10  # still recording at the end
        disk_full_gaps += sum(g.reason == GAP_DISK_FULL for g in gaps(catalog, cam))
    # Every request for room follows a write that failed, and that camera's lost seconds are a
    # "disk full" gap. Which camera hits the full disk is a race (one camera may find room
    # freed for the other every time), so the gaps are counted over both.
    assert disk_full_gaps >= 1
    assert {stored_path(small_disk, p) for p in small_disk.rglob("*.mp4")} == indexed
    assert not list(small_disk.rglob("*.partial"))
