#!/usr/bin/env python3
"""What privacy masks cost: CPU of the masked live encoder (one per camera stream, shared by
every masked viewer) and the delay it adds to live view.

1. CPU. One WardEye site (recorder + web server, this process) records vtest_1080p.mp4
   (1920x1080 25 fps H.264) from the GStreamer RTSP simulator. N viewers (a separate process,
   so their own CPU is not counted) watch its main stream over the live WebSocket, first
   with no mask (the original passes through), then with one mask drawn (decode, black out,
   x264 ultrafast/zerolatency encode, shared). Measured: this process's scheduler run time
   (/proc/self/task/*/schedstat, as bench_recording.py does) over a window after a warm-up, in
   ABBA order (unmasked, masked, masked, unmasked) so load drifting on the shared machine
   hits both alike. Masked cost = masked - unmasked at the same N; N=1 and N=5 should match.

2. Added delay, two ways:
   * in the server, 1080p: the same frames' arrival on a masked and an unmasked live feed
     (LiveHub.broadcaster(..., masked=True/False)), matched by timestamp;
   * glass to glass in Chromium, 720p: bench_latency.py's method (clock_720p.mp4's burned-in
     frame counter read by a direct RTSP client and by the page's requestVideoFrameCallback),
     once without a mask and once with one (over the top half, away from the counter).

    .venv/bin/python bench/bench_masks.py --seconds 20 [--viewers 1,5] [--out FILE]

Linux only (reads /proc). Needs the footage from scripts/setup and Debian's Chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from bench_latency import READ_COUNTER_JS, DirectReader, match
from bench_recording import cpu_seconds
from wardeye_harness import PASSWORD, USER, CameraSpec, Site, build_site, launch_chromium, login

from wardeye.live.feed import LiveFeed
from wardeye.live.messages import Fragment
from wardeye.privacy.masks import MaskCreate
from wardeye.testing.media import (
    CLOCK_BAND,
    CLOCK_BITS,
    CLOCK_MARGIN,
    CLOCK_PITCH,
    CLOCK_SQUARE,
    media_file,
)
from wardeye.testing.rtsp_server import RtspSimulator

CAMERA = "Phố đi bộ (1080p)"
MASK = MaskCreate(name="Cửa sổ", points=[(0.55, 0.15), (0.85, 0.15), (0.85, 0.45), (0.55, 0.45)])
TOP_HALF = MaskCreate(name="Nửa trên", points=[(0.0, 0.0), (1.0, 0.0), (1.0, 0.5), (0.0, 0.5)])


# -- viewers in their own process -----------------------------------------------------------------


def _viewers(url: str, camera: int, count: int, stop: Any, ready: Any, out: Any) -> None:
    """``count`` live sockets on the main stream, drained; reports bytes and fragments."""
    import threading

    import httpx
    from websockets.sync.client import connect

    with httpx.Client(base_url=url, headers={"Origin": url}) as http:
        http.post("/api/auth/login", json={"username": USER, "password": PASSWORD})
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    totals = [0] * count

    def drain(index: int) -> None:
        ws_url = url.replace("http://", "ws://") + f"/api/live/{camera}/ws?stream=main"
        with connect(ws_url, additional_headers={"Cookie": cookie, "Origin": url},
                     max_size=None) as ws:  # fmt: skip
            while not stop.is_set():
                try:
                    message = ws.recv(timeout=1)
                except TimeoutError:
                    continue
                if isinstance(message, bytes):
                    totals[index] += len(message)

    threads = [threading.Thread(target=drain, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    ready.set()
    for thread in threads:
        thread.join()
    out.put(totals)


def cpu_window(
    site: Site, camera: int, viewers: int, warmup: float, seconds: float
) -> dict[str, Any]:
    """Server CPU (this process) while ``viewers`` watch, after ``warmup``."""
    context = multiprocessing.get_context("spawn")
    stop, ready, out = context.Event(), context.Event(), context.Queue()
    process = context.Process(target=_viewers, args=(site.url, camera, viewers, stop, ready, out))
    process.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("viewers did not start")
        time.sleep(warmup)
        cpu0, wall0 = cpu_seconds(os.getpid()), time.monotonic()
        time.sleep(seconds)
        cpu1, wall1 = cpu_seconds(os.getpid()), time.monotonic()
        encoding = site.wardeye.live.broadcaster(camera, "main").encoding  # type: ignore[attr-defined]
    finally:
        stop.set()
        totals = out.get(timeout=30)
        process.join(30)
    return {
        "viewers": viewers,
        "cpu_percent": round(100 * (cpu1 - cpu0) / (wall1 - wall0), 1),
        "masked_encoder_running": encoding,
        "mbit_per_viewer": round(8 * statistics.mean(totals) / (wall1 - wall0 + warmup) / 1e6, 2),
    }


def measure_cpu(
    site: Site, viewers: list[int], warmup: float, seconds: float
) -> list[dict[str, Any]]:
    camera = site.cameras[CAMERA]
    store = site.wardeye.masks
    results = []
    for count in viewers:
        rounds: dict[str, list[float]] = {"unmasked": [], "masked": []}
        details = []
        for masked in (False, True, True, False):  # ABBA
            existing = store.views(camera)
            if masked and not existing:
                store.create(camera, MASK)
            if not masked:
                for view in existing:
                    store.delete(camera, view.id)
            window = cpu_window(site, camera, count, warmup, seconds)
            if window["masked_encoder_running"] != masked:
                raise RuntimeError(f"masked={masked} but encoder running={window}")
            rounds["masked" if masked else "unmasked"].append(window["cpu_percent"])
            details.append({"masked": masked, **window})
            print(json.dumps(details[-1]), flush=True)
        unmasked, masked_cpu = (
            statistics.mean(rounds["unmasked"]),
            statistics.mean(rounds["masked"]),
        )
        results.append({
            "viewers": count,
            "server_cpu_percent_unmasked": round(unmasked, 1),
            "server_cpu_percent_masked": round(masked_cpu, 1),
            "masked_stream_cpu_percent_of_one_core": round(masked_cpu - unmasked, 1),
            "windows": details,
        })  # fmt: skip
    for view in store.views(camera):
        store.delete(camera, view.id)
    return results


# -- delay in the server (1080p) ------------------------------------------------------------------


def measure_server_delay(site: Site, seconds: float) -> dict[str, Any]:
    """Arrival of each frame (by timestamp) on an unmasked and a masked feed of one stream."""
    camera = site.cameras[CAMERA]
    store = site.wardeye.masks
    mask = store.create(camera, MASK)
    hub = site.wardeye.live

    async def watch() -> tuple[dict[int, float], dict[int, float]]:
        loop = asyncio.get_running_loop()
        plain, masked = LiveFeed(loop), LiveFeed(loop)
        arrivals: tuple[dict[int, float], dict[int, float]] = ({}, {})
        hub.broadcaster(camera, "main", masked=False).add_feed(plain)
        hub.broadcaster(camera, "main", masked=True).add_feed(masked)

        async def collect(feed: LiveFeed, into: dict[int, float]) -> None:
            while (message := await feed.get()) is not None:
                if isinstance(message, Fragment):
                    into.setdefault(message.dts, time.monotonic())

        tasks = [
            asyncio.create_task(collect(f, a))
            for f, a in zip((plain, masked), arrivals, strict=True)
        ]
        await asyncio.sleep(seconds)
        hub.broadcaster(camera, "main", masked=False).remove_feed(plain)
        hub.broadcaster(camera, "main", masked=True).remove_feed(masked)
        await asyncio.gather(*tasks)
        return arrivals

    try:
        plain, masked = asyncio.run(watch())
    finally:
        store.delete(camera, mask.id)
    skip = 75  # the first 3 s: the masked feed starts from the cached GOP, all at once
    common = sorted(set(plain) & set(masked))[skip:]
    added = sorted(1000 * (masked[d] - plain[d]) for d in common)
    if len(added) < 25:
        raise RuntimeError(f"only {len(added)} frames on both feeds")
    return {
        "frames": len(added),
        "added_ms": {
            "median": round(statistics.median(added), 1),
            "p90": round(added[int(0.9 * (len(added) - 1))], 1),
            "max": round(added[-1], 1),
        },
    }


# -- glass to glass in Chromium (720p clock) ----------------------------------------------------


def glass_to_glass(seconds: float, warmup: float, masked: bool) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    sim = RtspSimulator({"clock": media_file("clock_720p.mp4")}).start()
    tmp = Path(tempfile.mkdtemp(prefix="wardeye-masks-g2g-"))
    site = build_site(tmp / "data", sim, (CameraSpec("Đồng hồ", "clock"),))
    try:
        url = site.serve()
        site.wait_online()
        camera = site.cameras["Đồng hồ"]
        if masked:
            site.wardeye.masks.create(camera, TOP_HALF)
        reader = DirectReader(sim.url("clock"))
        reader.start()
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1366, "height": 860})
            login(page, url)
            page.goto(f"{url}/live?camera={camera}")
            page.wait_for_function(
                "(document.querySelector('video')?.readyState ?? 0) >= 2", timeout=20000
            )
            time.sleep(warmup)
            page.evaluate(READ_COUNTER_JS, [CLOCK_BITS, CLOCK_SQUARE, CLOCK_PITCH, CLOCK_MARGIN,
                                            CLOCK_BAND])  # fmt: skip
            time.sleep(seconds)
            shown = page.evaluate("window.__shown")
            encoding = site.wardeye.live.broadcaster(camera, "main").encoding  # type: ignore[attr-defined]
            browser.close()
        reader.stop.set()
        if reader.error:
            raise RuntimeError(f"direct RTSP reader failed: {reader.error}")
    finally:
        site.close()
        sim.close()
    if encoding != masked:
        raise RuntimeError(f"masked={masked} but the masked encoder running={encoding}")
    delays = sorted(match(shown, reader.arrivals))
    if len(delays) < 10:
        raise RuntimeError(f"only {len(delays)} frames matched (shown {len(shown)})")
    return {
        "masked": masked,
        "frames_matched": len(delays),
        "delay_ms": {
            "median": round(statistics.median(delays), 1),
            "p90": round(delays[int(0.9 * (len(delays) - 1))], 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="each measuring window")
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--viewers", default="1,5")
    parser.add_argument("--out", type=Path, default=None, help="write the result as JSON")
    args = parser.parse_args()
    viewers = [int(v) for v in args.viewers.split(",")]

    sim = RtspSimulator({"vtest": media_file("vtest_1080p.mp4")}).start()
    tmp = Path(tempfile.mkdtemp(prefix="wardeye-masks-"))
    site = build_site(tmp / "data", sim, (CameraSpec(CAMERA, "vtest"),))
    try:
        site.serve()
        site.wait_online()
        cpu = measure_cpu(site, viewers, args.warmup, args.seconds)
        server_delay = measure_server_delay(site, args.seconds)
    finally:
        site.close()
        sim.close()
    g2g = [
        glass_to_glass(args.seconds, args.warmup, masked) for masked in (False, True, True, False)
    ]
    plain = [r["delay_ms"]["median"] for r in g2g if not r["masked"]]
    masked = [r["delay_ms"]["median"] for r in g2g if r["masked"]]
    result = {
        "cpu": cpu,
        "server_added_delay_1080p": server_delay,
        "glass_to_glass_720p": {
            "runs": g2g,
            "median_ms_unmasked": round(statistics.mean(plain), 1),
            "median_ms_masked": round(statistics.mean(masked), 1),
            "added_ms": round(statistics.mean(masked) - statistics.mean(plain), 1),
        },
        "machine": {"cpus": multiprocessing.cpu_count(), "load_1min": _load()},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


if __name__ == "__main__":
    main()
