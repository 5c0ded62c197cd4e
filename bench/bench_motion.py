#!/usr/bin/env python3
"""Milliseconds per frame of motion detection on real footage, at several working widths.

Each run feeds vtest.avi (768x576, 10 fps) frame by frame to one MotionDetector and times
``update`` only (decoding excluded). Also reported: the mean share of the frame covered by
motion regions, i.e. what a motion-gated detector has to look at. Usage:

    .venv/bin/python bench/bench_motion.py [--frames 600] [--widths 160,320,480]
"""

from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np

from wardeye.analytics.motion import MotionDetector, MotionSettings
from wardeye.testing.media import media_file


def run(width: int, frames: int, normalise: bool) -> tuple[float, float, float, float]:
    motion = MotionDetector(MotionSettings(width=width, normalise_brightness=normalise))
    capture = cv2.VideoCapture(str(media_file("vtest.avi")))
    times, covered, moving_frames = [], [], 0
    for _ in range(frames):
        ok, raw = capture.read()
        if not ok:
            break
        frame = np.asarray(raw, dtype=np.uint8)
        started = time.perf_counter()
        result = motion.update(frame)
        times.append(time.perf_counter() - started)
        area = sum(r.area for r in result.regions) / (frame.shape[0] * frame.shape[1])
        covered.append(min(area, 1.0))
        moving_frames += bool(result.regions)
    capture.release()
    return (
        1000 * statistics.fmean(times),
        1000 * statistics.quantiles(times, n=10)[-1],
        statistics.fmean(covered),
        moving_frames / len(times),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--widths", default="160,320,480")
    args = parser.parse_args()
    cv2.setNumThreads(1)  # one camera's motion runs on one core
    print(f"vtest.avi 768x576, {args.frames} frames, OpenCV on 1 thread")
    print("| working width | brightness normalisation | mean ms/frame | p90 ms | "
          "frame share in regions | frames with motion |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|")
    for width in (int(w) for w in args.widths.split(",")):
        for normalise in (True, False):
            mean, p90, share, busy = run(width, args.frames, normalise)
            print(
                f"| {width} | {'on' if normalise else 'off'} | {mean:.2f} | {p90:.2f} | "
                f"{share:.1%} | {busy:.0%} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
