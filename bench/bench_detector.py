#!/usr/bin/env python3
"""Milliseconds per frame, and people found, for each detector backend on real footage.

For every backend (NanoDet-m ONNX; yolov3-tiny in OpenCV DNN at 416 and 608; the same weights
as ONNX in the YOLOv8 layout) and every way of feeding it:

* full:    the whole 768x576 frame, every frame;
* mosaic:  motion regions packed into one canvas, one pass per frame (none without motion);
* crops:   one pass per motion crop.

Timing covers detection only (motion runs first and is timed by bench_motion.py). Quality is
precision/recall at IoU 0.3 against the hand-drawn people in
tests/integration/analytics/vtest_annotations.json (4 frames, 25 people; for the motion-gated
modes people standing still are not counted either way). Usage:

    .venv/bin/python bench/bench_detector.py [--frames 300] [--threads 2] [--models-dir .models]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from wardeye.analytics.detectors import (
    DarknetSettings,
    DetectorSettings,
    NanoDetSettings,
    OnnxYoloSettings,
    build_detector,
)
from wardeye.analytics.evaluation import MatchCounts, match
from wardeye.analytics.motion import MotionDetector
from wardeye.analytics.regions import RegionDetector
from wardeye.analytics.types import Box, Detections
from wardeye.testing.media import media_file, repo_root

ANNOTATIONS = Path(__file__).resolve().parents[1] / (
    "tests/integration/analytics/vtest_annotations.json"
)


def backends(threads: int) -> dict[str, DetectorSettings]:
    return {
        "nanodet-m 416 (onnxruntime)": NanoDetSettings(threads=threads),
        "yolov3-tiny 416 (opencv dnn)": DarknetSettings(threads=threads),
        "yolov3-tiny 608 (opencv dnn)": DarknetSettings(threads=threads, input_size=608),
        "yolov3-tiny 416 (onnx v8)": OnnxYoloSettings(threads=threads),
    }


def score(found: Detections, truth: dict[str, Any], standing: list[list[int]]) -> MatchCounts:
    people = [Box(*r) for r in truth["person"] if r not in standing]
    ignore = [Box(*r) for r in truth["person_hard"] + standing]
    return match(found.with_label("person"), people, 0.3, ignore=ignore)


def run(settings: DetectorSettings, mode: str, frames: int, models: Path) -> dict[str, Any]:
    annotations = json.loads(ANNOTATIONS.read_text())
    detector = build_detector(settings, models)
    regions = RegionDetector(detector, mode="crops" if mode == "crops" else "mosaic")
    motion = MotionDetector()
    capture = cv2.VideoCapture(str(media_file("vtest.avi")))
    times: list[float] = []
    counts = MatchCounts(0, 0, 0)
    last = max(frames, *(int(k) + 1 for k in annotations["frames"]))
    for index in range(last):
        ok, raw = capture.read()
        if not ok:
            break
        frame = np.asarray(raw, dtype=np.uint8)
        moving = motion.update(frame).regions
        truth = annotations["frames"].get(str(index))
        if index >= frames and truth is None:
            continue
        started = time.perf_counter()
        found = detector.detect([frame])[0] if mode == "full" else regions.detect(frame, moving)
        elapsed = time.perf_counter() - started
        if index < frames and index >= 5:  # skip warm-up (first inference allocates)
            times.append(elapsed)
        if truth is not None:
            standing = [] if mode == "full" else annotations["standing_still"].get(str(index), [])
            counts += score(found, truth, standing)
    capture.release()
    return {
        "mean_ms": 1000 * statistics.fmean(times),
        "p90_ms": 1000 * statistics.quantiles(times, n=10)[-1],
        "precision": counts.precision,
        "recall": counts.recall,
        "counts": counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=300, help="frames timed per run")
    parser.add_argument("--threads", type=int, default=2, help="inference threads")
    parser.add_argument("--models-dir", type=Path, default=repo_root() / ".models")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    print(f"vtest.avi 768x576, {args.frames} frames, {args.threads} inference threads")
    print("| detector | mode | mean ms/frame | p90 ms | people P | people R (hits/FA/miss) |")
    print("|---|---|---:|---:|---:|---|")
    for name, settings in backends(args.threads).items():
        for mode in ("full", "mosaic", "crops"):
            r = run(settings, mode, args.frames, args.models_dir)
            c = r["counts"]
            print(
                f"| {name} | {mode} | {r['mean_ms']:.1f} | {r['p90_ms']:.1f} | "
                f"{r['precision']:.2f} | {r['recall']:.2f} "
                f"({c.hits}/{c.false_alarms}/{c.misses}) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
