#!/usr/bin/env python3
"""Many viewers of one camera: what they cost the camera (connections) and the server (CPU).

A 1080p 25 fps 4 Mbit/s H.264 camera (vtest_1080p.mp4 on the GStreamer RTSP simulator) is
recorded by a WardEye started in a child process (real Recorder, real web server). For each
viewer count N in --viewers, N live viewers connect to the camera's main stream over the
WebSocket (the same endpoint the web app's player uses; the viewers run in this process, so
their CPU is not charged to the server). After a warm-up, the server process's CPU
(utime+stime from /proc) is measured over --seconds, and the established RTSP connections to
the simulator are counted with `ss`. Every viewer must keep receiving fragments at the camera's
frame rate, or the run fails. Per-viewer CPU = (CPU with N viewers - CPU with 0) / N.

    .venv/bin/python bench/bench_live_load.py --viewers 0,1,5,10,20 --seconds 20

Linux only (reads /proc, runs ss).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from wardeye_harness import PASSWORD, USER, CameraSpec, build_site

from wardeye.mp4.boxes import iter_boxes
from wardeye.testing.media import media_file
from wardeye.testing.rtsp_server import RtspSimulator

CLK_TCK = os.sysconf("SC_CLK_TCK")


def serve_site(rtsp_url: str, data_dir: str, conn: Any) -> None:
    """Child process: a WardEye recording one camera, serving the web app until told to stop."""

    class _Sim:  # build_site only needs url(mount)
        def url(self, _mount: str) -> str:
            return rtsp_url

    site = build_site(Path(data_dir), _Sim(), (CameraSpec("Ngã tư", "cam"),))  # type: ignore[arg-type]
    url = site.serve()
    site.wait_online()
    conn.send({"url": url, "camera": site.cameras["Ngã tư"], "pid": os.getpid()})
    conn.recv()  # any message: stop
    site.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rtsp_connections(port: int) -> int:
    out = subprocess.run(
        ["ss", "-Htn", "state", "established", f"( dport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(1 for line in out.splitlines() if line.strip())


async def viewer(
    url: str, cookies: dict[str, str], stats: dict[str, int], stop: asyncio.Event
) -> None:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    async with websockets.connect(url, additional_headers={"Cookie": header}, max_size=None) as ws:
        while not stop.is_set():
            try:
                message = await asyncio.wait_for(ws.recv(), 1.0)
            except TimeoutError:
                continue
            if isinstance(message, bytes):  # whole boxes; several fragments may share one
                stats["fragments"] += sum(kind == b"moof" for kind, _ in iter_boxes(message))
                stats["bytes"] += len(message)


async def phase(
    base: str,
    camera: int,
    cookies: dict[str, str],
    pid: int,
    n: int,
    seconds: float,
    warmup: float,
    port: int,
) -> dict[str, Any]:
    ws_url = base.replace("http://", "ws://") + f"/api/live/{camera}/ws?stream=main"
    stop = asyncio.Event()
    stats = [{"fragments": 0, "bytes": 0} for _ in range(n)]
    tasks = [asyncio.create_task(viewer(ws_url, cookies, s, stop)) for s in stats]
    await asyncio.sleep(warmup)
    for s in stats:
        s["fragments"] = s["bytes"] = 0
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)
    cpu1, t1 = cpu_seconds(pid), time.monotonic()
    connections = rtsp_connections(port)
    received = [dict(s) for s in stats]
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    span = t1 - t0
    rates = [s["fragments"] / span for s in received]
    return {
        "viewers": n,
        "server_cpu_percent": round(100 * (cpu1 - cpu0) / span, 2),
        "rtsp_connections_to_camera": connections,
        "fragments_per_s_min": round(min(rates), 1) if rates else None,
        "mbit_per_s_per_viewer": round(sum(s["bytes"] for s in received) * 8 / span / 1e6 / n, 2)
        if n
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", default="0,1,5,10,20")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    counts = [int(x) for x in args.viewers.split(",")]
    sim = RtspSimulator({"cam": media_file("vtest_1080p.mp4")}).start()
    parent, child = multiprocessing.Pipe()
    ctx = multiprocessing.get_context("spawn")
    data_dir = tempfile.mkdtemp(prefix="wardeye-load-")
    proc = ctx.Process(target=serve_site, args=(sim.url("cam"), data_dir, child))
    proc.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("the WardEye child process did not start")
        info = parent.recv()
        login = httpx.post(
            f"{info['url']}/api/auth/login", json={"username": USER, "password": PASSWORD}
        )
        login.raise_for_status()
        cookies = dict(login.cookies)
        assert sim.port is not None
        results = [
            asyncio.run(
                phase(
                    info["url"],
                    info["camera"],
                    cookies,
                    info["pid"],
                    n,
                    args.seconds,
                    args.warmup,
                    sim.port,
                )
            )
            for n in counts
        ]
    finally:
        parent.send("stop")
        proc.join(30)
        sim.close()
    base = next((r["server_cpu_percent"] for r in results if r["viewers"] == 0), None)
    for r in results:
        if base is not None and r["viewers"]:
            r["cpu_percent_per_viewer"] = round((r["server_cpu_percent"] - base) / r["viewers"], 3)
    report = {"camera": "1080p 25 fps ~4 Mbit/s H.264, main stream", "phases": results}
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    bad = [r for r in results if r["viewers"] and (r["fragments_per_s_min"] or 0) < 20]
    if bad or any(r["rtsp_connections_to_camera"] != 1 for r in results):
        sys.exit("a viewer starved, or the camera had more than one connection")


if __name__ == "__main__":
    main()
