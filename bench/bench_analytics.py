#!/usr/bin/env python3
"""How many cameras one box analyses at 5 fps: N simulated cameras with typical activity
(vtest: people walking all the time, so motion gating never skips a frame — a busy street, not
a quiet one) go through the real recorder readers, the bounded channel and the analytics worker
processes (decode → motion → NanoDet on motion regions → tracker → rules, a counting line and a
zone per camera). For each N it reports the analysed frame rate per camera, packets dropped by
the channel (the worker fell behind), worker CPU, and events raised.

    .venv/bin/python bench/bench_analytics.py --cameras 2 4 6 --seconds 40
    .venv/bin/python bench/bench_analytics.py --cameras 4 --workers 2 --threads 1

A camera "keeps up" when it is analysed at >= 95 % of the target rate with no drops.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from wardeye.analytics.supervisor import AnalyticsSupervisor
from wardeye.analytics.zones import ZoneSettings
from wardeye.catalog import events as event_repo
from wardeye.catalog import migrate
from wardeye.catalog.database import Database
from wardeye.catalog.models import Area, Camera
from wardeye.config.detectors import NanoDetSettings
from wardeye.config.models import AnalyticsConfig, RecordingConfig
from wardeye.core.bus import InProcessBus
from wardeye.ingest.packets import PacketSink
from wardeye.recording.recorder import Recorder
from wardeye.testing.media import media_file
from wardeye.testing.rtsp_server import RtspSimulator

CLK_TCK = os.sysconf("SC_CLK_TCK")
WARMUP = 10.0
LINE = [(0.6706, 0.1736), (0.6706, 0.8333)]
PATH = [(0.05, 0.25), (0.98, 0.25), (0.98, 0.80), (0.05, 0.80)]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def frames(supervisor: AnalyticsSupervisor) -> dict[str, float]:
    counted: dict[str, float] = {}
    for worker in supervisor.status():
        for camera, stats in worker["cameras"].items():
            counted[camera] = stats["frames"]
    return counted


def run(count: int, seconds: float, workers: int, threads: int, fps: float, clip: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
    sim = RtspSimulator({f"cam{i}": clip for i in range(count)}).start()
    url = f"sqlite:///{work / 'catalog.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as s:
        area = Area(name="Phường Bến Nghé", level="commune")
        s.add(area)
        s.flush()
        for i in range(count):
            camera = Camera(name=f"cam{i}", area_id=area.id, main_url=sim.url(f"cam{i}"))
            s.add(camera)
            s.flush()
            event_repo.add_zone(s, camera.id, "line", "line", LINE, {})
            zone = ZoneSettings(loiter_seconds=20, gather_count=4, gather_seconds=5)
            event_repo.add_zone(s, camera.id, "path", "polygon", PATH, zone.model_dump())
    bus = InProcessBus()
    recorder = Recorder(db, RecordingConfig(segment_seconds=10), work / "rec", bus)
    recorder.start()

    def attach(camera_id: int, stream: str, sink: PacketSink, name: str) -> Any:
        return recorder.attach(camera_id, stream, sink, name, 500)

    config = AnalyticsConfig(
        enabled=True, fps=fps, workers=workers, detector=NanoDetSettings(threads=threads)
    )
    supervisor = AnalyticsSupervisor(db, config, work / "data", bus, attach)
    supervisor.start()
    try:
        time.sleep(WARMUP)
        pids = [p for p in supervisor.worker_pids() if p is not None]
        cpu0 = sum(cpu_seconds(p) for p in pids)
        own0 = cpu_seconds(os.getpid())
        before, dropped0 = (
            frames(supervisor),
            sum(w["dropped_packets"] for w in supervisor.status()),
        )
        load0 = os.getloadavg()[0]
        started = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - started
        after = frames(supervisor)
        dropped = sum(w["dropped_packets"] for w in supervisor.status()) - dropped0
        cpu = sum(cpu_seconds(p) for p in pids) - cpu0
        own = cpu_seconds(os.getpid()) - own0
        load1 = os.getloadavg()[0]
    finally:
        supervisor.stop()
        recorder.stop()
        sim.close()
    rates = [(after.get(k, 0) - before.get(k, 0)) / elapsed for k in after]
    rates += [0.0] * (count - len(rates))
    with db.session() as s:
        raised = len(event_repo.list_events(s, limit=100000))
    db.dispose()
    shutil.rmtree(work, ignore_errors=True)
    keeps_up = min(rates) >= 0.95 * fps and dropped == 0
    print(
        f"| {count} | {workers}x{threads} | {min(rates):.2f} | {sum(rates) / count:.2f} | "
        f"{dropped} | {cpu / elapsed * 100:.0f}% | {own / elapsed * 100:.0f}% | {raised} | "
        f"{load0:.1f}→{load1:.1f} | {'yes' if keeps_up else 'no'} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, nargs="+", default=[2, 4, 6])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="inference threads per worker")
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--clip", default="vtest.mp4", help="prepared clip each camera loops")
    args = parser.parse_args()
    clip = media_file(args.clip)
    print(f"clip {clip.name}, {args.fps} fps analysed, {args.seconds:.0f} s measured after "
          f"{WARMUP:.0f} s warm-up, {os.cpu_count()} CPUs")  # fmt: skip
    print(
        "| cameras | workers x threads | min fps/camera | mean fps | dropped packets | "
        "worker CPU (of one core) | recorder+supervisor CPU | events | load avg | keeps up |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|---|")  # fmt: skip
    for count in args.cameras:
        run(count, args.seconds, args.workers, args.threads, args.fps, clip)


if __name__ == "__main__":
    main()
