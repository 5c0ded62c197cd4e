"""Crop planning, mosaic packing and mapping boxes back, with a real (if simple) detector."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from wardeye.analytics.regions import RegionDetector, pack, plan_crops, square_crop
from wardeye.analytics.types import Box, Detection, Detections

Frame = npt.NDArray[np.uint8]


class RedBlobDetector:
    """Finds saturated red rectangles: a real Detector, cheap enough for unit tests."""

    labels = ("person",)

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []

    def detect(self, frames: Sequence[Frame]) -> list[Detections]:
        out = []
        for frame in frames:
            self.sizes.append((frame.shape[1], frame.shape[0]))
            red = ((frame[:, :, 2] > 200) & (frame[:, :, 1] < 60)).astype(np.uint8)
            count, _, stats, _ = cv2.connectedComponentsWithStats(red)
            out.append(
                Detections(
                    tuple(
                        Detection(Box(x, y, x + w, y + h), "person", 0.9)
                        for x, y, w, h, area in stats[1:count]
                        if area >= 20
                    )
                )
            )
        return out


def street(*people: tuple[int, int]) -> Frame:
    image = np.full((576, 768, 3), 128, np.uint8)
    for x, y in people:
        image[y : y + 60, x : x + 20] = (0, 0, 255)
    return image


def test_square_crop_grows_small_regions_and_stays_inside() -> None:
    crop = square_crop(Box(0, 0, 10, 30), 96, 768, 576)
    assert (crop.x1, crop.y1, crop.width, crop.height) == (0, 0, 96, 96)
    big = square_crop(Box(700, 500, 768, 576), 96, 768, 576)
    assert big.x2 == 768 and big.y2 == 576 and big.width == 96


def test_packed_tiles_do_not_overlap_and_fit() -> None:
    moving = [Box(10 + 150 * i, 20 + 90 * i, 60 + 150 * i, 120 + 90 * i) for i in range(5)]
    crops = plan_crops(moving, (768, 576), 96)
    tiles, side = pack(crops)
    assert len(tiles) == len(crops)
    for t in tiles:
        assert t.x + t.width <= side and t.y + t.height <= side
    for a in tiles:
        for b in tiles:
            if a is not b:
                assert (a.x + a.width <= b.x or b.x + b.width <= a.x
                        or a.y + a.height <= b.y or b.y + b.height <= a.y)  # fmt: skip


@pytest.mark.parametrize("mode", ["mosaic", "crops"])
def test_boxes_come_back_in_frame_pixels(mode: str) -> None:
    detector = RedBlobDetector()
    regions = RegionDetector(detector, mode=mode)  # type: ignore[arg-type]
    image = street((100, 100), (600, 400), (300, 300))
    moving = [Box(90, 90, 130, 170), Box(590, 390, 630, 470)]  # the third person is still
    found = regions.detect(image, moving)
    got = sorted((d.box.x1, d.box.y1, d.box.x2, d.box.y2) for d in found)
    assert got == [(100, 100, 120, 160), (600, 400, 620, 460)]
    if mode == "mosaic":
        assert len(detector.sizes) == 1 and detector.sizes[0][0] < 768
    else:
        assert len(detector.sizes) == 2


def test_no_motion_no_inference_and_big_motion_uses_the_frame() -> None:
    detector = RedBlobDetector()
    regions = RegionDetector(detector)
    assert regions.detect(street((10, 10)), []) == Detections()
    assert detector.sizes == []
    found = regions.detect(street((10, 10)), [Box(0, 0, 768, 576)])
    assert detector.sizes == [(768, 576)] and len(found) == 1


def test_a_person_split_between_overlapping_crops_is_reported_once() -> None:
    regions = RegionDetector(RedBlobDetector(), mode="crops", min_side=40)
    found = regions.detect(street((200, 200)), [Box(195, 195, 225, 235), Box(195, 230, 225, 265)])
    assert len(found) == 1
