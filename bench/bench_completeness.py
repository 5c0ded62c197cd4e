#!/usr/bin/env python3
"""Recording completeness: seconds of footage recorded / seconds the cameras served.

Starts the real RTSP camera simulator with N camera streams, runs the recorder as its own
process (``python -m wardeye.recording``, so its CPU and memory are measured alone) for
``--minutes``, stops it cleanly (SIGTERM: open segments are finished and indexed), then compares
the segment index with what was served. Target: >= 99.9 %.

    .venv/bin/python bench/bench_completeness.py --cameras 8 --minutes 10
    .venv/bin/python bench/bench_completeness.py --cameras 50 --minutes 1 --clips testsrc_720p.mp4

``served`` for a camera runs from its first recorded packet to the stop (the first connection,
about a second, is reported apart as start-up); every loss after that counts against the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from wardeye.catalog import migrate, recordings
from wardeye.catalog.database import Database
from wardeye.catalog.models import Area, Camera, RecordingGap
from wardeye.core.clock import utc_now
from wardeye.recording.inspect import inspect_segment
from wardeye.testing.media import media_file
from wardeye.testing.rtsp_server import RtspSimulator

CLK_TCK = os.sysconf("SC_CLK_TCK")
IGNORED_GAPS = ("recorder starting", "recorder stopped")


@dataclass
class ProcessFigures:
    cpu_seconds: float
    max_rss_mb: float
    threads: int


def process_figures(pid: int) -> ProcessFigures:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    rss, threads = 0.0, 0
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return ProcessFigures(cpu, rss, threads)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=8, help="camera streams (default 8)")
    parser.add_argument("--minutes", type=float, default=10.0, help="run length (default 10)")
    parser.add_argument("--segment-seconds", type=float, default=10.0)
    parser.add_argument("--clips", default="testsrc_1080p.mp4,testsrc_720p.mp4,vtest.mp4",
                        help="comma-separated prepared clips, used in turn per camera")  # fmt: skip
    parser.add_argument("--mounts", type=int, default=0,
                        help="distinct simulator mounts (0: one per camera); cameras share "
                             "mounts round-robin, which spares the simulator's CPU")  # fmt: skip
    parser.add_argument("--transport", choices=("tcp", "udp"), default="tcp")
    parser.add_argument("--workdir", type=Path, default=None, help="keep files here")
    parser.add_argument("--target", type=float, default=99.9, help="percent (default 99.9)")
    return parser.parse_args()


def setup_catalog(db_url: str, urls: list[str]) -> Database:
    migrate.upgrade(db_url)
    db = Database(db_url)
    with db.session() as s:
        area = Area(name="Bench", level="commune")
        s.add(area)
        s.flush()
        for i, url in enumerate(urls):
            s.add(Camera(name=f"bench-{i:03d}", area_id=area.id, main_url=url))
    return db


def start_recorder(args: argparse.Namespace, db_url: str, root: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "wardeye.recording", "--database-url", db_url, "--recordings",
         str(root), "--segment-seconds", str(args.segment_seconds), "--transport",
         args.transport],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "RECORDING":
        proc.kill()
        raise SystemExit("the recorder did not start")
    return proc


@dataclass
class CameraResult:
    camera_id: int
    first: datetime | None
    recorded: float
    served: float
    segments: int
    gaps: int
    frames_short: int


def measure(db: Database, root: Path, started: datetime, stopped: datetime) -> list[CameraResult]:
    results = []
    with db.session() as s:
        for cam in s.query(Camera).order_by(Camera.id):
            rows = recordings.segments_between(s, cam.id, started, stopped + timedelta(1))
            first = rows[0].start if rows else None
            window_end = stopped
            recorded = sum(
                (min(r.end, window_end) - max(r.start, first or r.start)).total_seconds()
                for r in rows
            )
            served = (window_end - first).total_seconds() if first else 0.0
            gap_rows = [
                g for g in s.query(RecordingGap).filter(RecordingGap.camera_id == cam.id)
                if g.reason not in IGNORED_GAPS
            ]  # fmt: skip
            short = 0
            for row in rows[-2:]:  # spot-check the newest files end to end
                facts = inspect_segment(root / row.path)
                if facts is None or facts.frames != row.frames:
                    short += 1
            results.append(
                CameraResult(cam.id, first, recorded, served, len(rows), len(gap_rows), short)
            )
    return results


def main() -> int:
    args = parse_args()
    clips = [media_file(name.strip()) for name in args.clips.split(",") if name.strip()]
    mounts_n = args.mounts or args.cameras
    mounts = {f"cam{i:03d}": clips[i % len(clips)] for i in range(mounts_n)}
    work = args.workdir or Path(tempfile.mkdtemp(prefix="wardeye-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    root = work / "recordings"
    db_url = f"sqlite:///{work / 'catalog.sqlite3'}"
    print(f"{args.cameras} cameras on {mounts_n} simulator mounts, {args.minutes} min, "
          f"segments of {args.segment_seconds} s, RTSP over {args.transport}")  # fmt: skip
    print(f"files in {work}")
    with RtspSimulator(mounts).start() as sim:
        names = list(mounts)
        urls = [sim.url(names[i % mounts_n]) for i in range(args.cameras)]
        db = setup_catalog(db_url, urls)
        started = utc_now()  # before the process starts: start-up includes its launch
        proc = start_recorder(args, db_url, root)
        t0 = time.monotonic()
        cpu0 = process_figures(proc.pid)
        try:
            time.sleep(args.minutes * 60)
            figures = process_figures(proc.pid)
            wall = time.monotonic() - t0
            stopped = utc_now()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(120)
    results = measure(db, root, started, stopped)
    db.dispose()

    recorded = sum(r.recorded for r in results)
    served = sum(r.served for r in results)
    startup = [(r.first - started).total_seconds() for r in results if r.first]
    ratio = 100.0 * recorded / served if served else 0.0
    overall = 100.0 * recorded / (args.cameras * (stopped - started).total_seconds())
    cpu = figures.cpu_seconds - cpu0.cpu_seconds
    size = sum(p.stat().st_size for p in root.rglob("*.mp4"))
    never = [r.camera_id for r in results if r.first is None]
    print(f"segments: {sum(r.segments for r in results)}  gaps (not start/stop): "
          f"{sum(r.gaps for r in results)}  spot-check failures: "
          f"{sum(r.frames_short for r in results)}  never recorded: {never or 'none'}")  # fmt: skip
    print(f"process launch to first footage: median {sorted(startup)[len(startup) // 2]:.2f} s, "
          f"max {max(startup):.2f} s" if startup else "no camera recorded anything")  # fmt: skip
    print(f"recorder process: {100 * cpu / wall:.1f} % of one core "
          f"({100 * cpu / wall / args.cameras:.2f} % per camera), peak RSS "
          f"{figures.max_rss_mb:.0f} MB, {figures.threads} threads; "
          f"{size / 1e6 / wall * 8:.1f} Mbit/s written")  # fmt: skip
    print(f"recorded {recorded:.1f} s of {served:.1f} s served: {ratio:.3f} % "
          f"(including start-up: {overall:.3f} %)")  # fmt: skip
    verdict = "PASS" if ratio >= args.target else "BELOW TARGET"
    print(f"completeness {ratio:.3f} % (target >= {args.target} %): {verdict}")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ratio >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
