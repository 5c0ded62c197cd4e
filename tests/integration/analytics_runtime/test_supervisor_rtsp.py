"""Analytics beside a real Recorder on the RTSP simulator: events from real footage reach the
catalog and the bus with snapshots; a worker killed with SIGKILL or hung with SIGSTOP is
replaced while segments keep being written; a covered camera and an offline camera raise
events."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from wardeye.analytics.channel import AnalyticsSink
from wardeye.analytics.supervisor import AnalyticsSupervisor
from wardeye.analytics.zones import ZoneSettings
from wardeye.catalog import events as event_repo
from wardeye.catalog.database import Database
from wardeye.catalog.models import Area, Camera, Segment
from wardeye.config.models import AnalyticsConfig, ReconnectConfig, RecordingConfig
from wardeye.core.bus import InProcessBus
from wardeye.core.events import AnalyticsEventRecorded, Event
from wardeye.ingest.packets import PacketSink
from wardeye.recording.recorder import Recorder
from wardeye.testing.media import media_file
from wardeye.testing.rtsp_server import RtspSimulator

pytestmark = pytest.mark.rtsp
FAST = ReconnectConfig(
    initial_seconds=0.5, max_seconds=2.0, jitter=0.2, open_timeout_seconds=3.0,
    read_timeout_seconds=3.0,
)  # fmt: skip
CROSSING_LINE = [(0.67, 0.35), (0.67, 0.70)]  # across the path walkers take in vtest


def add_camera(db: Database, name: str, url: str) -> int:
    with db.session() as s:
        area = s.query(Area).first()
        if area is None:
            area = Area(name="Phường Bến Nghé", level="commune")
            s.add(area)
            s.flush()
        camera = Camera(name=name, area_id=area.id, main_url=url)
        s.add(camera)
        s.flush()
        return camera.id


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def segments(db: Database, camera_id: int) -> int:
    with db.session() as s:
        return s.query(Segment).filter(Segment.camera_id == camera_id).count()


def events(db: Database, kind: str | None = None) -> list[event_repo.EventRecord]:
    with db.session() as s:
        return event_repo.list_events(s, kinds=[kind] if kind else None, limit=1000)


@pytest.fixture
def running(
    catalog: Database, tmp_path: Path, rtsp_simulator_factory: Callable[..., RtspSimulator],
    covered_clip: Path,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    sim = rtsp_simulator_factory({"vtest": media_file("vtest.mp4"), "covered": covered_clip})
    walkers = add_camera(catalog, "Ngã tư", sim.url("vtest"))
    covered = add_camera(catalog, "Hẻm 42", sim.url("covered"))
    with catalog.session() as s:
        event_repo.add_zone(
            s, walkers, "lối đi", "line", CROSSING_LINE, ZoneSettings().model_dump(mode="json")
        )
    bus = InProcessBus()
    seen: list[Event] = []
    bus.subscribe(AnalyticsEventRecorded, seen.append)
    recorder = Recorder(
        catalog,
        RecordingConfig(segment_seconds=4, reconnect=FAST),
        tmp_path / "rec",
        bus,
        offline_grace_seconds=2.0,
    )
    recorder.start()

    def attach(camera_id: int, stream: str, sink: PacketSink, name: str) -> Any:
        return recorder.attach(camera_id, stream, sink, name, 500)

    config = AnalyticsConfig(
        enabled=True, fps=5, heartbeat_timeout_seconds=6, restart_initial_seconds=0.5
    )
    supervisor = AnalyticsSupervisor(catalog, config, tmp_path / "data", bus, attach)
    supervisor.start()
    try:
        yield {
            "sim": sim, "walkers": walkers, "covered": covered, "bus_events": seen,
            "supervisor": supervisor, "snapshots": tmp_path / "data" / "snapshots",
        }  # fmt: skip
    finally:
        supervisor.stop()
        recorder.stop()


def test_events_survive_worker_kill_and_hang(running: dict[str, Any], catalog: Database) -> None:
    supervisor: AnalyticsSupervisor = running["supervisor"]
    walkers = running["walkers"]
    # Real people crossing the line in the real footage become events with snapshots.
    crossings = wait_for(lambda: events(catalog, "line_crossing"), 60, "a line crossing")
    first = crossings[-1]
    assert first.camera_id == walkers and first.zone == "lối đi" and first.label == "person"
    assert first.track_id is not None and first.confidence and first.confidence >= 0.4
    assert first.details["direction"] in ("forward", "backward")
    assert (
        first.snapshot and (running["snapshots"] / first.snapshot).read_bytes()[:2] == b"\xff\xd8"
    )
    assert any(
        isinstance(e, AnalyticsEventRecorded) and e.event_id == first.id
        for e in running["bus_events"]
    )
    # The covered camera: normal for 8 s, then black for 8 s (looped).
    covered = wait_for(lambda: events(catalog, "tamper_covered"), 40, "a covered-camera event")
    assert covered[-1].camera_id == running["covered"]

    # kill -9 the worker while recording: segments keep coming, the worker comes back.
    old_pid = supervisor.worker_pids()[0]
    assert old_pid is not None
    before = segments(catalog, walkers)
    os.kill(old_pid, signal.SIGKILL)
    new_pid = wait_for(
        lambda: (p := supervisor.worker_pids()[0]) not in (None, old_pid) and p, 20, "a new worker"
    )
    wait_for(lambda: segments(catalog, walkers) >= before + 2, 30, "segments after the kill")
    counted = len(events(catalog, "line_crossing"))
    wait_for(
        lambda: len(events(catalog, "line_crossing")) > counted, 60, "events from the new worker"
    )
    # A hung worker (stopped, so no heartbeat) is killed and replaced as well.
    os.kill(new_pid, signal.SIGSTOP)
    third = wait_for(
        lambda: (p := supervisor.worker_pids()[0]) not in (None, new_pid) and p, 30, "hang restart"
    )
    assert third != old_pid
    status = supervisor.status()[0]
    assert status["restarts"] >= 1
    before = segments(catalog, walkers)
    wait_for(lambda: segments(catalog, walkers) > before, 20, "segments after the hang")


def test_camera_offline_event(running: dict[str, Any], catalog: Database) -> None:
    sim: RtspSimulator = running["sim"]
    wait_for(lambda: segments(catalog, running["walkers"]) >= 1, 30, "recording")
    sim.stop_stream("vtest")
    offline = wait_for(lambda: events(catalog, "camera_offline"), 30, "an offline event")
    assert offline[0].camera_id == running["walkers"] and offline[0].end is None
    sim.start_stream("vtest")
    wait_for(
        lambda: all(e.end is not None for e in events(catalog, "camera_offline")),
        40,
        "the offline event to close",
    )


def test_sink_never_blocks_when_worker_is_gone(tmp_path: Path) -> None:
    """The recorder-side sink with a full queue and no reader: drops, never waits."""
    import multiprocessing

    from wardeye.analytics.channel import Channel
    from wardeye.ingest.packets import MediaPacket

    queue: Any = multiprocessing.get_context("spawn").Queue(5)
    channel = Channel(queue)
    sink = AnalyticsSink(1, channel)
    from wardeye.core.clock import utc_now

    started = time.monotonic()
    for i in range(200):
        sink.packet(MediaPacket(b"\x00" * 1000, i, i, 1, i % 10 == 0, utc_now()))
    assert time.monotonic() - started < 2.0
    assert channel.dropped >= 190
    queue.close()
    queue.cancel_join_thread()
