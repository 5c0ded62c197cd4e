"""Motion on synthetic scenes where the moving object is known exactly."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from wardeye.analytics.motion import MotionDetector, merge_boxes, polygon_mask
from wardeye.analytics.types import Box

Frame = npt.NDArray[np.uint8]


def scene(rng: np.random.Generator) -> Frame:
    """A textured 640x480 background with mild sensor noise added per call."""
    base = np.zeros((480, 640, 3), np.uint8)
    for i in range(0, 640, 40):
        base[:, i : i + 20] = (90 + i // 8, 120, 140)
    noise = rng.normal(0, 3, base.shape)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def with_square(image: Frame, x: int, y: int) -> Frame:
    out = image.copy()
    cv2.rectangle(out, (x, y), (x + 40, y + 80), (20, 20, 230), -1)
    return out


def test_a_moving_object_gives_one_region_around_it() -> None:
    rng = np.random.default_rng(0)
    motion = MotionDetector()
    for _ in range(15):
        assert motion.update(scene(rng)).regions == ()  # noise alone is no motion
    for step in range(6):
        result = motion.update(with_square(scene(rng), 100 + 10 * step, 200))
    (region,) = result.regions
    square = Box(150, 200, 190, 280)
    assert region.x1 <= square.x1 and region.y1 <= square.y1
    assert region.x2 >= square.x2 and region.y2 >= square.y2
    assert region.area < 4 * square.area
    assert not result.global_change


def test_lighting_change_reports_no_motion_and_recovers() -> None:
    rng = np.random.default_rng(1)
    motion = MotionDetector()
    for _ in range(15):
        motion.update(scene(rng))
    bright = cv2.convertScaleAbs(scene(rng), alpha=1.6, beta=30)
    assert motion.update(bright).regions == ()
    results = [motion.update(with_square(bright, 300, 100)) for _ in range(3)]
    assert any(r.regions for r in results)  # a real change is seen again right after


def test_polygon_mask_uses_fractional_coordinates() -> None:
    mask = polygon_mask((100, 50), include=[[(0, 0), (0.5, 0), (0.5, 1), (0, 1)]], exclude=[])
    assert mask[:, :49].min() == 255 and mask[:, 52:].max() == 0
    everything = polygon_mask((100, 50), include=[], exclude=[[(0, 0), (1, 0), (1, 0.5)]])
    assert everything[49, 0] == 255 and everything[0, 99] == 0


def test_motion_outside_the_include_zone_is_ignored() -> None:
    rng = np.random.default_rng(2)
    left = [(0.0, 0.0), (0.4, 0.0), (0.4, 1.0), (0.0, 1.0)]
    motion = MotionDetector(include=[left])
    for _ in range(15):
        motion.update(scene(rng))
    for step in range(5):
        result = motion.update(with_square(scene(rng), 450 + 5 * step, 200))
    assert result.regions == ()


def test_merge_boxes_joins_near_and_keeps_far() -> None:
    merged = merge_boxes([Box(0, 0, 10, 10), Box(12, 0, 20, 10), Box(100, 100, 110, 110)], 3)
    assert sorted((b.x1, b.x2) for b in merged) == [(0, 20), (100, 110)]
