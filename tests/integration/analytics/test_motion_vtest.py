"""Motion on real footage: walkers are found, the parked van is not, lighting does not flood."""

from __future__ import annotations

from typing import Any

import cv2

from wardeye.analytics.motion import MotionDetector, MotionResult
from wardeye.analytics.types import Box

VAN = Box(651, 44, 724, 99)
WARMUP = 10  # frames the background model needs before its answers mean anything


def covered(box: Box, regions: tuple[Box, ...]) -> bool:
    """Most of ``box`` lies inside one motion region."""
    for region in regions:
        inside = Box(
            max(box.x1, region.x1),
            max(box.y1, region.y1),
            min(box.x2, region.x2),
            min(box.y2, region.y2),
        )
        if inside.width > 0 and inside.height > 0 and inside.area >= 0.6 * box.area:
            return True
    return False


def test_walkers_are_found_and_the_parked_van_is_not(
    vtest_frames: Any, annotations: dict[str, Any]
) -> None:
    motion = MotionDetector()
    results: dict[int, MotionResult] = {}
    van_flagged = []
    for index, frame in vtest_frames(551):
        result = motion.update(frame)
        results[index] = result
        if index >= WARMUP and covered(VAN, result.regions):
            van_flagged.append(index)
    assert van_flagged == []
    found = walkers = 0
    for key, truth in annotations["frames"].items():
        standing = annotations["standing_still"].get(key, [])
        for row in truth["person"]:
            if row not in standing:
                walkers += 1
                found += covered(Box(*row), results[int(key)].regions)
    assert walkers == 23
    # Measured 22/23: the miss is a man half hidden by the sign, whose legs barely move.
    assert found >= 21, f"{found}/{walkers} walking people inside motion regions"
    busy = [r for i, r in results.items() if i >= WARMUP]
    assert not any(r.global_change for r in busy)
    assert max(r.moving_fraction for r in busy) < 0.1  # people are a small part of the view


def test_global_brightness_change_does_not_flood(vtest_frames: Any) -> None:
    """Auto-exposure steps, a darkening cloud and a slow ramp: none may turn the whole frame
    into motion; after each change, the walkers are found again."""
    changes: dict[int, tuple[float, float]] = {}
    changes.update({i: (1.5, 20.0) for i in range(100, 103)})  # sudden, with clipping
    changes.update({i: (0.55, 0.0) for i in range(130, 160)})  # darker for 3 s
    changes.update({160 + k: (1.0 + 0.03 * k, 0.0) for k in range(20)})  # ramp up over 2 s
    changes.update({i: (1.6, 0.0) for i in range(180, 200)})
    motion = MotionDetector()
    flooded, regions_after = [], {}
    for index, frame in vtest_frames(230):
        if index in changes:
            alpha, beta = changes[index]
            frame = cv2.convertScaleAbs(frame, alpha=alpha, beta=beta)
        result = motion.update(frame)
        big = [r for r in result.regions if r.area > 0.3 * frame.shape[0] * frame.shape[1]]
        if big:
            flooded.append(index)
        if index in (125, 155, 175, 195, 225):
            regions_after[index] = len(result.regions)
    assert flooded == []
    assert all(count >= 2 for count in regions_after.values()), regions_after


def test_naive_background_model_would_flood(vtest_frames: Any) -> None:
    """The guard is what makes the difference: without normalisation and the lighting check
    the same sudden change is reported as motion everywhere."""
    from wardeye.analytics.motion import MotionSettings

    naive = MotionDetector(MotionSettings(normalise_brightness=False, global_change=1.0))
    fractions = []
    for index, frame in vtest_frames(102):
        if index >= 100:
            frame = cv2.convertScaleAbs(frame, alpha=1.5, beta=20)
        fractions.append(naive.update(frame).moving_fraction)
    assert fractions[100] > 0.3


def test_exclusion_polygon_hides_motion_inside_it(vtest_frames: Any) -> None:
    """A mask over the right half (0-1 coordinates) keeps every region on the left."""
    right_half = [(0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)]
    motion = MotionDetector(exclude=[right_half])
    seen = 0
    for index, frame in vtest_frames(160):
        result = motion.update(frame)
        if index >= WARMUP:
            seen += len(result.regions)
            pad = motion.settings.pad * frame.shape[1]
            assert all(r.x1 < 0.5 * frame.shape[1] + 1 for r in result.regions)
            assert all(r.x2 <= 0.5 * frame.shape[1] + pad + 16 for r in result.regions)
    assert seen > 50
