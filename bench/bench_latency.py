#!/usr/bin/env python3
"""Glass-to-glass delay of WardEye's live view in Chromium.

Source: clock_720p.mp4 (1280x720 25 fps H.264, a 16-bit frame counter burned into every frame)
served by the GStreamer RTSP simulator. WardEye records that camera and serves its live view;
Debian's Chromium opens the single-camera page (main stream, MSE over WebSocket).

"Glass" is the moment a frame leaves the camera: a plain RTSP client in this script (PyAV, TCP,
on the same shared simulator mount) decodes every frame, reads its counter and notes the wall
clock. "Glass" on the other side is the moment Chromium presents the frame: a
requestVideoFrameCallback reads the counter from the decoded picture (canvas pixels) and notes
``performance.timeOrigin + expectedDisplayTime``. Both clocks are this machine's wall clock.
Delay = presented - received, per frame number. The simulator sends pre-encoded frames, so a
real camera's own capture+encode delay (typically 100-300 ms) is not included.

    .venv/bin/python bench/bench_latency.py --seconds 30 [--out bench/results/latency.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import av

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from wardeye_harness import (
    CameraSpec,
    build_site,
    launch_chromium,
    login,
)

from wardeye.testing.media import (
    CLOCK_BAND,
    CLOCK_BITS,
    CLOCK_MARGIN,
    CLOCK_PITCH,
    CLOCK_SQUARE,
    media_file,
    read_clock_counter,
)
from wardeye.testing.rtsp_server import RtspSimulator

READ_COUNTER_JS = """
([bits, square, pitch, margin, band]) => {
  window.__shown = [];
  const v = document.querySelector('video');
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const onFrame = (now, meta) => {
    const w = v.videoWidth, h = v.videoHeight;
    if (w && h) {
      if (canvas.width !== w) { canvas.width = w; canvas.height = h; }
      g.drawImage(v, 0, h - band, w, band, 0, h - band, w, band);
      const top = h - band + (band - square) / 2, q = square / 4;
      let value = 0;
      for (let i = 0; i < bits; i += 1) {
        const left = margin + i * pitch;
        const px = g.getImageData(left + q, top + q, square - 2 * q, square - 2 * q).data;
        let sum = 0;
        for (let k = 0; k < px.length; k += 4) sum += (px[k] + px[k + 1] + px[k + 2]) / 3;
        value = (value << 1) | (sum / (px.length / 4) > 128 ? 1 : 0);
      }
      window.__shown.push([value, performance.timeOrigin + meta.expectedDisplayTime,
                           performance.timeOrigin + now]);
    }
    v.requestVideoFrameCallback(onFrame);
  };
  v.requestVideoFrameCallback(onFrame);
}
"""


class DirectReader(threading.Thread):
    """A plain RTSP client: when did each frame number arrive (wall clock, seconds)?"""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.arrivals: dict[int, list[float]] = defaultdict(list)
        self.stop = threading.Event()
        self.error: str | None = None

    def run(self) -> None:
        try:
            with av.open(self.url, options={"rtsp_transport": "tcp"}, timeout=(10, 10)) as c:
                stream = c.streams.video[0]
                stream.thread_type = "NONE"
                for packet in c.demux(stream):
                    if self.stop.is_set():
                        return
                    for frame in packet.decode():
                        arrived = time.time()
                        gray = frame.to_ndarray(format="gray")
                        self.arrivals[read_clock_counter(gray)].append(arrived)
        except Exception as exc:  # reported by main()
            self.error = repr(exc)


def match(shown: list[list[float]], arrivals: dict[int, list[float]]) -> list[float]:
    """Delay (ms) of each presented frame: display time minus the latest arrival before it."""
    delays = []
    for value, displayed_ms, _callback_ms in shown:
        before = [t for t in arrivals.get(int(value), []) if t * 1000 <= displayed_ms]
        if before:
            delays.append(displayed_ms - max(before) * 1000)
    return delays


def measure(seconds: float, warmup: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    sim = RtspSimulator({"clock": media_file("clock_720p.mp4")}).start()
    tmp = Path(tempfile.mkdtemp(prefix="wardeye-latency-"))
    site = build_site(tmp / "data", sim, (CameraSpec("Đồng hồ", "clock"),))
    try:
        url = site.serve()
        site.wait_online()
        reader = DirectReader(sim.url("clock"))
        reader.start()
        camera = site.cameras["Đồng hồ"]
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1366, "height": 860})
            login(page, url)
            opened = time.time()
            page.goto(f"{url}/live?camera={camera}")
            page.wait_for_function(
                "(document.querySelector('video')?.readyState ?? 0) >= 2", timeout=15000
            )
            first_frame_s = time.time() - opened
            time.sleep(warmup)
            page.evaluate(READ_COUNTER_JS, [CLOCK_BITS, CLOCK_SQUARE, CLOCK_PITCH, CLOCK_MARGIN,
                                            CLOCK_BAND])  # fmt: skip
            time.sleep(seconds)
            shown = page.evaluate("window.__shown")
            stats = page.evaluate("[...window.wardeyePlayers.values()][0].stats()")
            browser.close()
        reader.stop.set()
        if reader.error:
            raise RuntimeError(f"direct RTSP reader failed: {reader.error}")
    finally:
        site.close()
        sim.close()
    delays = match(shown, reader.arrivals)
    if len(delays) < 10:
        raise RuntimeError(f"only {len(delays)} frames matched (shown {len(shown)})")
    delays.sort()
    return {
        "frames_presented": len(shown),
        "frames_matched": len(delays),
        "seconds": seconds,
        "first_frame_after_open_s": round(first_frame_s, 3),
        "delay_ms": {
            "median": round(statistics.median(delays), 1),
            "p90": round(delays[int(0.9 * (len(delays) - 1))], 1),
            "min": round(delays[0], 1),
            "max": round(delays[-1], 1),
        },
        "player": stats,
        "target_ms": 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=None, help="write the result as JSON")
    args = parser.parse_args()
    result = measure(args.seconds, args.warmup)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    if result["delay_ms"]["median"] >= result["target_ms"]:
        sys.exit("median glass-to-glass delay is above the 1 s target")


if __name__ == "__main__":
    main()
