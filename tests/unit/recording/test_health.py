"""Stream health states over (controlled) time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wardeye.ingest.health import HealthTracker


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_lifecycle_starting_online_reconnecting_offline_back() -> None:
    clock = Clock()
    health = HealthTracker(grace_seconds=5, now=clock)
    assert health.snapshot().state == "starting"
    health.attempting()
    health.streaming("h264", 1280, 720)
    for _ in range(3):
        health.packet(1000, keyframe=True)
    snap = health.snapshot()
    assert (snap.state, snap.codec, snap.width) == ("online", "h264", 1280)
    assert snap.last_keyframe_at is not None
    assert abs((snap.last_keyframe_at - clock.now).total_seconds()) < 0.5
    clock.advance(10)
    lost_at = clock.now
    health.lost("stream ended")
    assert health.snapshot().state == "reconnecting"
    clock.advance(3)
    health.lost("Connection refused")  # more failed attempts keep the first loss time
    assert health.snapshot().state == "reconnecting"
    clock.advance(2.5)
    snap = health.snapshot()
    assert (snap.state, snap.offline_since, snap.last_error) == (
        "offline", lost_at, "Connection refused")  # fmt: skip
    health.streaming("h264", 1280, 720)
    snap = health.snapshot()
    assert snap.state == "online" and snap.offline_since is None and snap.connections == 2


def test_never_reachable_camera_goes_offline_after_the_grace_period() -> None:
    clock = Clock()
    created = clock.now
    health = HealthTracker(grace_seconds=5, now=clock)
    clock.advance(8)  # a slow first attempt (e.g. a host that never answers) is not offline
    assert health.snapshot().state == "starting"
    health.lost("timed out")  # ...until it fails: then it has been down since the start
    snap = health.snapshot()
    assert (snap.state, snap.offline_since) == ("offline", created)


def test_paused_and_stopped() -> None:
    clock = Clock()
    health = HealthTracker(now=clock)
    health.streaming("hevc", 1920, 1080)
    health.set_paused(True)
    assert health.snapshot().state == "paused_disk_full"
    health.set_paused(False)
    assert health.snapshot().state == "online"
    health.stopped()
    assert health.snapshot().state == "stopped"


def test_fps_and_bitrate_from_the_last_seconds() -> None:
    import time

    health = HealthTracker()
    health.streaming("h264", 640, 360)
    for _ in range(11):
        health.packet(5000, keyframe=False)
        time.sleep(0.02)
    snap = health.snapshot()
    assert 30 < snap.fps < 55  # 10 intervals of ~20-25 ms
    assert snap.bitrate_kbps > 1000
