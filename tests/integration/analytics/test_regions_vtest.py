"""Detection on motion regions only: walkers still found; a still scene costs no inference."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from wardeye.analytics.detectors import Detector, NanoDetSettings, build_detector
from wardeye.analytics.evaluation import MatchCounts, match
from wardeye.analytics.motion import MotionDetector
from wardeye.analytics.regions import RegionDetector
from wardeye.analytics.types import Box, Detections

Frame = npt.NDArray[np.uint8]


class CountingDetector:
    """A real detector that also counts the images it was given."""

    def __init__(self, inner: Detector) -> None:
        self.inner = inner
        self.labels = inner.labels
        self.images = 0

    def detect(self, frames: Sequence[Frame]) -> list[Detections]:
        self.images += len(frames)
        return self.inner.detect(frames)


def test_walkers_are_detected_on_motion_regions(
    models_dir: Path, vtest_frames: Any, annotations: dict[str, Any]
) -> None:
    regions = RegionDetector(build_detector(NanoDetSettings(), models_dir))
    motion = MotionDetector()
    counts = MatchCounts(0, 0, 0)
    for index, frame in vtest_frames(551):
        moving = motion.update(frame).regions
        truth = annotations["frames"].get(str(index))
        if truth is None:
            continue
        standing = annotations["standing_still"].get(str(index), [])
        walkers = [Box(*r) for r in truth["person"] if r not in standing]
        ignore = [Box(*r) for r in truth["person_hard"] + standing]
        found = regions.detect(frame, moving)
        counts += match(found.with_label("person"), walkers, 0.3, ignore=ignore)
    print(f"motion-gated NanoDet: {counts} P={counts.precision:.2f} R={counts.recall:.2f}")
    assert counts.precision >= 0.9 and counts.recall >= 0.9, counts


def test_still_scene_runs_no_inference(models_dir: Path, vtest_frames: Any) -> None:
    detector = CountingDetector(build_detector(NanoDetSettings(), models_dir))
    regions, motion = RegionDetector(detector), MotionDetector()
    frame = next(f for i, f in vtest_frames(31) if i == 30)
    for _ in range(10):  # the background model learns the scene
        motion.update(frame)
    before = detector.images
    for _ in range(20):
        assert regions.detect(frame, motion.update(frame).regions) == Detections()
    assert detector.images == before
    walker = Box(300, 300, 340, 400)  # something moves: one inference on a small canvas
    result = regions.detect(frame, [walker])
    assert detector.images == before + 1
    assert all(d.box.x1 >= 0 and d.box.x2 <= frame.shape[1] for d in result)
