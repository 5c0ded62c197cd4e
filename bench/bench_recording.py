#!/usr/bin/env python3
"""CPU and memory per recorded stream: WardEye's recorder against plain ffmpeg, same streams.

For each N in --streams, N RTSP streams of 1080p H.264 (~4 Mbit/s, vtest_1080p.mp4 looped by
the GStreamer simulator) are recorded twice, one after the other on the same simulators:

* ours:   one ``python -m wardeye.recording`` process with N cameras in a fresh SQLite catalog
          (10 s segments, RTSP over TCP);
* ffmpeg: N ``ffmpeg -rtsp_transport tcp -i URL -c copy -f segment -segment_time 10
          -reset_timestamps 1 out_%03d.mp4`` processes.

Only the recorder processes are measured (scheduler run time of every thread, from
/proc/<pid>/task/*/schedstat, over a window that
starts after a warm-up, so connection set-up is excluded for both; peak RSS and PSS from
/proc/<pid>/smaps_rollup sampled every second). The simulators' CPU is reported separately.
Each phase also reports what it wrote, so a recorder that silently drops streams cannot look
cheap. Usage:

    .venv/bin/python bench/bench_recording.py --streams 1,10,50,100 --seconds 60

Linux only (reads /proc). Needs the footage from scripts/setup and Debian ffmpeg.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

from wardeye.catalog.database import Database
from wardeye.catalog.migrate import upgrade
from wardeye.catalog.models import Area, Camera
from wardeye.config.models import RecordingConfig
from wardeye.testing.media import media_file
from wardeye.testing.rtsp_server import RtspSimulator

CLK_TCK = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")
MIB = 1024 * 1024


# -- measuring processes --------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """CPU time of a process, all its threads, in seconds: the scheduler's exact run time
    (``/proc/<pid>/task/*/schedstat``, nanoseconds). utime/stime in ``/proc/<pid>/stat`` are
    sampled on the timer tick (250 Hz here), far too coarse for processes that wake 25 times a
    second for a few microseconds: two runs of the same ffmpeg differed by 20 %."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue  # the thread ended meanwhile
    if total:
        return total / 1e9
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes. PSS splits shared library pages among the processes sharing them,
    which is the fair way to add up N ffmpeg processes."""
    rss = pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1]) * 1024
        elif line.startswith("Pss:"):
            pss = int(line.split()[1]) * 1024
    return rss, pss


class Meter:
    """Samples a set of pids once a second: CPU at start/end of the window, peak memory."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)
        self.peak_rss = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def total_cpu(self) -> float:
        return sum(_safe(cpu_seconds, pid, 0.0) for pid in self.pids)

    def _sample(self) -> None:
        pairs = [_safe(memory, pid, (0, 0)) for pid in self.pids]
        self.peak_rss = max(self.peak_rss, sum(r for r, _ in pairs))
        self.peak_pss = max(self.peak_pss, sum(p for _, p in pairs))

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self._sample()

    def start(self) -> None:
        self._sample()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def _safe(read: Callable[[int], T], pid: int, default: T) -> T:
    try:
        return read(pid)
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return default


# -- what a phase produced ------------------------------------------------------------------


@dataclass
class Phase:
    recorder: str
    streams: int
    window_s: float
    cpu_s: float
    peak_rss: int
    peak_pss: int
    bytes_written: int
    streams_writing: int
    sim_cpu_s: float

    @property
    def cpu_pct_per_stream(self) -> float:
        return 100.0 * self.cpu_s / self.window_s / self.streams

    @property
    def cpu_pct_total(self) -> float:
        return 100.0 * self.cpu_s / self.window_s


def written(root: Path, depth_of_stream: int) -> tuple[int, int]:
    """Bytes under root and how many stream folders (at the given depth) hold any file."""
    total = 0
    streams: set[tuple[str, ...]] = set()
    for path in root.rglob("*"):
        if path.is_file() and not path.name.endswith((".sqlite3", "-wal", "-shm", ".log")):
            total += path.stat().st_size
            streams.add(path.relative_to(root).parts[:depth_of_stream])
    return total, len(streams)


# -- simulators -----------------------------------------------------------------------------


def start_simulators(
    count: int, clip: Path, per_sim: int, mounts_per_sim: int
) -> tuple[list[RtspSimulator], list[str]]:
    """Enough simulators for ``count`` clients; clients spread round-robin over shared mounts."""
    sims: list[RtspSimulator] = []
    urls: list[str] = []
    remaining = count
    while remaining > 0:
        clients = min(per_sim, remaining)
        mounts = min(mounts_per_sim, clients)
        sim = RtspSimulator({f"cam{i}": clip for i in range(mounts)}, startup_timeout=120).start()
        sims.append(sim)
        urls += [sim.url(f"cam{i % mounts}") for i in range(clients)]
        remaining -= clients
    return sims, urls


def sim_cpu(sims: Sequence[RtspSimulator]) -> float:
    # RtspSimulator keeps its process private; the bench only reads its pid
    procs = [s._proc for s in sims]
    return sum(_safe(cpu_seconds, p.pid, 0.0) for p in procs if p is not None)


# -- the two recorders ----------------------------------------------------------------------


class Running:
    """A recorder that has been started: its pids, how to stop it, and where it writes."""

    def __init__(
        self, name: str, pids: list[int], stop: Callable[[], None], root: Path, depth: int
    ) -> None:
        self.name = name
        self.pids = pids
        self.stop = stop
        self.root = root
        self.depth = depth  # folder depth of one stream under root


def start_ours(
    urls: Sequence[str], work: Path, args: argparse.Namespace, client: str = "wardeye"
) -> Running:
    root = work / "ours"
    root.mkdir()
    url = f"sqlite:///{work / 'catalog.sqlite3'}"
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        area = Area(name="Bench", level="commune")
        s.add(area)
        s.flush()
        s.add_all(Camera(name=f"bench{i}", area_id=area.id, main_url=u) for i, u in enumerate(urls))
    db.dispose()
    cmd = [sys.executable, "-m", "wardeye.recording", "--database-url", url,
           "--recordings", str(root), "--segment-seconds", str(args.segment_seconds),
           "--transport", "tcp", "--rtsp-client", client,
           "--read-interval", str(args.read_interval)]  # fmt: skip
    log = (work / "ours.log").open("w")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)

    def stop() -> None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        log.close()

    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("RECORDING"):
        stop()
        raise RuntimeError(f"recorder did not start: {line!r}; see {work / 'ours.log'}")
    name = "ours" if client == "wardeye" else "ours-ffmpeg-rtsp"
    return Running(name, [proc.pid], stop, root, 2)  # <camera_id>/<stream>/...


def start_ffmpeg(urls: Sequence[str], work: Path, args: argparse.Namespace) -> Running:
    root = work / "ffmpeg"
    procs: list[subprocess.Popen[bytes]] = []

    def stop() -> None:
        for p in procs:
            p.send_signal(signal.SIGINT)  # ffmpeg finishes its current segment on SIGINT
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()

    for i, url in enumerate(urls):
        out = root / f"cam{i:03d}"
        out.mkdir(parents=True)
        cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp",
               "-i", url, "-c", "copy", "-f", "segment",
               "-segment_time", str(args.segment_seconds), "-reset_timestamps", "1",
               str(out / "out_%03d.mp4")]  # fmt: skip
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return Running("ffmpeg", [p.pid for p in procs], stop, root, 1)


def start_ours_with_ffmpeg_rtsp(
    urls: Sequence[str], work: Path, args: argparse.Namespace
) -> Running:
    return start_ours(urls, work, args, client="ffmpeg")


STARTERS = {
    "ours": start_ours,
    "ffmpeg": start_ffmpeg,
    "ours-ffmpeg-rtsp": start_ours_with_ffmpeg_rtsp,
}


def run_phase(
    names: Sequence[str],
    urls: Sequence[str],
    sims: Sequence[RtspSimulator],
    work: Path,
    args: argparse.Namespace,
) -> list[Phase]:
    """Start the named recorders together, measure each over the same window, stop them."""
    running: list[Running] = []
    try:
        for name in names:
            folder = work / f"{name}-{time.monotonic_ns()}"
            folder.mkdir()
            running.append(STARTERS[name](urls, folder, args))
        time.sleep(args.warmup)
        meters = [Meter(r.pids) for r in running]
        for meter in meters:
            meter.start()
        cpu0, sim0, t0 = [m.total_cpu() for m in meters], sim_cpu(sims), time.monotonic()
        time.sleep(args.seconds)
        cpu1, sim1, t1 = [m.total_cpu() for m in meters], sim_cpu(sims), time.monotonic()
        for meter in meters:
            meter.stop()
    finally:
        for r in running:
            r.stop()
    phases = []
    for r, meter, a, b in zip(running, meters, cpu0, cpu1, strict=True):
        total, writing = written(r.root, r.depth)
        shutil.rmtree(r.root.parent, ignore_errors=True)
        phase = Phase(r.name, len(urls), t1 - t0, b - a, meter.peak_rss, meter.peak_pss,
                      total, writing, sim1 - sim0)  # fmt: skip
        print(f"  {r.name:6} N={len(urls)}: {phase.cpu_pct_total:.1f}% CPU "
              f"({phase.cpu_pct_per_stream:.3f} %/stream)", flush=True)  # fmt: skip
        phases.append(phase)
    return phases


def schedule(names: Sequence[str], rounds: int, together: bool) -> list[list[str]]:
    """Which recorders run in each phase. Apart: A B B A A B ... so a machine whose load
    drifts during the run weighs on both sides alike."""
    if together:
        return [list(names)] * rounds
    order: list[list[str]] = []
    for i in range(rounds):
        pair = list(names) if i % 2 == 0 else list(reversed(names))
        order += [[n] for n in pair]
    return order


def combine(phases: Sequence[Phase]) -> Phase:
    """Several rounds of one recorder as one phase: CPU and bytes summed over the windows
    (so the per-stream figures are the mean over all rounds), memory at its worst."""
    first = phases[0]
    return Phase(
        first.recorder,
        first.streams,
        sum(p.window_s for p in phases),
        sum(p.cpu_s for p in phases),
        max(p.peak_rss for p in phases),
        max(p.peak_pss for p in phases),
        sum(p.bytes_written for p in phases) // len(phases),
        min(p.streams_writing for p in phases),
        sum(p.sim_cpu_s for p in phases),
    )


# -- report ---------------------------------------------------------------------------------


def table(pairs: Sequence[tuple[Phase, Phase]], seconds_total: dict[int, float]) -> str:
    head = (
        "| N | ours | ours CPU %/stream | ffmpeg CPU %/stream | CPU ratio | ours CPU total | "
        "ours RSS MiB (per stream) | ffmpeg RSS MiB (per stream) | RSS ratio | PSS ratio | "
        "streams writing ours/ffmpeg | Mbit/s written per stream ours/ffmpeg | simulator CPU % |"
    )
    rows = [head, "|" + "---|" * 13]
    for ours, ff in pairs:
        n = ours.streams
        wall = seconds_total[n]
        rows.append(
            f"| {n} | {ours.recorder} | {ours.cpu_pct_per_stream:.3f} | "
            f"{ff.cpu_pct_per_stream:.3f} | "
            f"{ours.cpu_s / ff.cpu_s if ff.cpu_s else float('nan'):.2f}x | "
            f"{ours.cpu_pct_total:.0f}% | "
            f"{ours.peak_rss / MIB:.0f} ({ours.peak_rss / MIB / n:.1f}) | "
            f"{ff.peak_rss / MIB:.0f} ({ff.peak_rss / MIB / n:.1f}) | "
            f"{ours.peak_rss / ff.peak_rss if ff.peak_rss else float('nan'):.2f}x | "
            f"{ours.peak_pss / ff.peak_pss if ff.peak_pss else float('nan'):.2f}x | "
            f"{ours.streams_writing}/{ff.streams_writing} | "
            f"{ours.bytes_written * 8 / 1e6 / n / wall:.2f}/"
            f"{ff.bytes_written * 8 / 1e6 / n / wall:.2f} | "
            f"{100 * ours.sim_cpu_s / ours.window_s:.0f}/{100 * ff.sim_cpu_s / ff.window_s:.0f} |"
        )
    return "\n".join(rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", default="1,10,50", help="comma list of stream counts")
    parser.add_argument("--seconds", type=float, default=60, help="measured window per phase")
    parser.add_argument("--warmup", type=float, default=10, help="unmeasured seconds first")
    parser.add_argument("--segment-seconds", type=float, default=10)
    parser.add_argument("--clip", type=Path, help="H.264 MP4 to loop (default vtest_1080p.mp4)")
    parser.add_argument("--clients-per-sim", type=int, default=25)
    parser.add_argument("--mounts-per-sim", type=int, default=5)
    parser.add_argument("--work-dir", type=Path, help="where recordings go (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--only", choices=("ours", "ffmpeg"), help="measure one recorder only")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="phases per recorder and N (apart: ours, ffmpeg, ffmpeg, ours ...)",
    )
    parser.add_argument(
        "--read-interval",
        type=float,
        default=RecordingConfig.model_fields["read_interval_seconds"].default,
        help="ours: seconds between socket reads (recording.read_interval_seconds)",
    )
    parser.add_argument(
        "--also-ffmpeg-rtsp",
        action="store_true",
        help="also measure ours reading RTSP with FFmpeg (recording.rtsp_client: ffmpeg)",
    )
    parser.add_argument(
        "--together",
        action="store_true",
        help="run ours and ffmpeg at the same time, measured over one window",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    clip = args.clip or media_file("vtest_1080p.mp4")
    counts = [int(n) for n in args.streams.split(",") if n.strip()]
    if shutil.which("ffmpeg") is None and args.only != "ours":
        print("Debian ffmpeg is needed for the baseline (apt-get install ffmpeg)", file=sys.stderr)
        return 2
    print(f"clip {clip.name}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}", flush=True)
    pairs: list[tuple[Phase, Phase]] = []
    walls: dict[int, float] = {}
    raw = []
    for n in counts:
        work = Path(tempfile.mkdtemp(prefix=f"wardeye-bench-{n}-", dir=args.work_dir))
        sims, urls = start_simulators(n, clip, args.clients_per_sim, args.mounts_per_sim)
        names = [n for n in ("ours", "ffmpeg") if args.only in (None, n)]
        if args.also_ffmpeg_rtsp:
            names.append("ours-ffmpeg-rtsp")
        try:
            done: dict[str, list[Phase]] = {name: [] for name in names}
            for phase_names in schedule(names, args.rounds, args.together):
                for phase in run_phase(phase_names, urls, sims, work, args):
                    done[phase.recorder].append(phase)
            phases = [combine(done[name]) for name in names]
            walls[n] = args.warmup + args.seconds
            raw += [asdict(p) for name in names for p in done[name]]
            by_name = {p.recorder: p for p in phases}
            if "ffmpeg" in by_name:
                pairs += [(p, by_name["ffmpeg"]) for p in phases if p.recorder != "ffmpeg"]
        finally:
            for sim in sims:
                sim.close()
            shutil.rmtree(work, ignore_errors=True)
    if pairs:
        print()
        print(table(pairs, walls))
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
