"""Motion regions from a MOG2 background model on a small grey copy of each frame.

Cheap enough to run on every analysed frame of every camera; the detector then only looks
where something moved. Robust to the two things that fool naive frame differencing on CCTV:
global brightness changes (auto exposure, clouds, lights switched on) and sensor noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from wardeye.analytics.types import Box

Frame = npt.NDArray[np.uint8]
Image = npt.NDArray[Any]  # what OpenCV returns (its stubs do not keep the dtype)
Polygon = Sequence[tuple[float, float]]
GRID = 4  # cells per side for telling lighting changes (everywhere) from motion (local)
CELL_CHANGED = 0.1


class MotionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    width: int = Field(320, ge=64, le=1920, description="Frames are shrunk to this width first.")
    history: int = Field(300, ge=10, description="Frames the background model remembers.")
    var_threshold: float = Field(
        25.0, gt=0, description="MOG2 squared-distance threshold: higher ignores more noise."
    )
    min_area: float = Field(
        0.0006, gt=0, lt=1, description="Smallest moving blob kept, as a fraction of the frame."
    )
    global_change: float = Field(
        0.5,
        gt=0,
        le=1,
        description="If changes show up in more than this fraction of a 4x4 grid's cells at once "
        "it is a lighting change, not motion: nothing is reported and the background is "
        "relearned. People, even close ones, cover only a few cells.",
    )
    normalise_brightness: bool = Field(
        True, description="Scale each frame to the running mean brightness before modelling."
    )
    pad: float = Field(
        0.02, ge=0, lt=0.5, description="Margin added around each region (fraction of width)."
    )
    merge_gap: float = Field(
        0.02, ge=0, lt=0.5, description="Regions closer than this (fraction of width) merge."
    )


@dataclass(frozen=True, slots=True)
class MotionResult:
    """Moving regions in full-frame pixels, and what fraction of the (masked) frame moved."""

    regions: tuple[Box, ...]
    moving_fraction: float
    global_change: bool


def polygon_mask(
    size: tuple[int, int], include: Sequence[Polygon], exclude: Sequence[Polygon]
) -> npt.NDArray[np.uint8]:
    """255 where motion counts. Polygons use 0-1 coordinates so one zone fits every stream
    resolution; no include polygon means the whole frame."""
    width, height = size
    scale = np.array([width, height], np.float64)
    mask = (
        np.zeros((height, width), np.uint8) if include else np.full((height, width), 255, np.uint8)
    )

    def points(poly: Polygon) -> npt.NDArray[np.int32]:
        return np.round(np.asarray(poly, np.float64) * scale).astype(np.int32)

    for poly in include:
        cv2.fillPoly(mask, [points(poly)], 255)
    for poly in exclude:
        cv2.fillPoly(mask, [points(poly)], 0)
    return mask


def merge_boxes(boxes: Sequence[Box], gap: float) -> list[Box]:
    """Union boxes that overlap or lie within ``gap`` pixels of each other, until stable."""
    merged = list(boxes)
    changed = True
    while changed:
        changed = False
        out: list[Box] = []
        for box in merged:
            for i, other in enumerate(out):
                if (
                    box.x1 <= other.x2 + gap
                    and other.x1 <= box.x2 + gap
                    and box.y1 <= other.y2 + gap
                    and other.y1 <= box.y2 + gap
                ):
                    out[i] = Box(
                        min(box.x1, other.x1),
                        min(box.y1, other.y1),
                        max(box.x2, other.x2),
                        max(box.y2, other.y2),
                    )
                    changed = True
                    break
            else:
                out.append(box)
        merged = out
    return merged


class MotionDetector:
    """One per camera: feed it consecutive frames of one stream with ``update``."""

    def __init__(
        self,
        settings: MotionSettings | None = None,
        include: Sequence[Polygon] = (),
        exclude: Sequence[Polygon] = (),
    ) -> None:
        self.settings = settings or MotionSettings()
        self._include, self._exclude = include, exclude
        self._mog = self._new_model()
        self._mask: npt.NDArray[np.uint8] | None = None
        self._reference: tuple[float, float] | None = None
        self._open = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self._close = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))

    def _new_model(self) -> cv2.BackgroundSubtractorMOG2:
        s = self.settings
        return cv2.createBackgroundSubtractorMOG2(
            history=s.history, varThreshold=s.var_threshold, detectShadows=True
        )

    def update(self, frame: Frame) -> MotionResult:
        """Learn from ``frame`` and return where it differs from the background."""
        height, width = frame.shape[:2]
        small = self._prepare(frame)
        if self._mask is None or self._mask.shape != small.shape:
            self._mask = polygon_mask(
                (small.shape[1], small.shape[0]), self._include, self._exclude
            )
            self._reference = None
        small = self._normalise(small)
        foreground = self._mog.apply(small)
        moving = cv2.bitwise_and(
            cv2.threshold(foreground, 200, 255, cv2.THRESH_BINARY)[1], self._mask
        )  # 127 marks shadows: not motion
        area = max(1, int(cv2.countNonZero(self._mask)))
        fraction = cv2.countNonZero(moving) / area
        if self._changed_cells(moving) > self.settings.global_change:
            self._mog.apply(small, learningRate=1.0)  # start again from this frame
            self._reference = None
            return MotionResult((), fraction, True)
        return MotionResult(self._regions(moving, (width, height)), fraction, False)

    def _changed_cells(self, moving: Image) -> float:
        """Fraction of the (unmasked) cells of a 4x4 grid where over a tenth of pixels moved."""
        assert self._mask is not None
        rows = np.array_split(np.arange(moving.shape[0]), GRID)
        cols = np.array_split(np.arange(moving.shape[1]), GRID)
        changed = counted = 0
        for r in rows:
            for c in cols:
                cell = np.ix_(r, c)
                live = int(np.count_nonzero(self._mask[cell]))
                if live == 0:
                    continue
                counted += 1
                changed += int(np.count_nonzero(moving[cell]) > CELL_CHANGED * live)
        return changed / counted if counted else 0.0

    def _prepare(self, frame: Frame) -> Image:
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        scale = self.settings.width / grey.shape[1]
        size = (self.settings.width, max(1, round(grey.shape[0] * scale)))
        small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(small, (5, 5), 0)

    def _normalise(self, small: Image) -> Image:
        """Cancel global gain/offset changes: map the frame's mean and contrast onto slow
        running references, so only local changes reach the background model."""
        if not self.settings.normalise_brightness:
            return small
        mean_arr, std_arr = cv2.meanStdDev(small, mask=self._mask)
        mean, std = float(mean_arr[0, 0]), max(float(std_arr[0, 0]), 1.0)
        if self._reference is None:
            self._reference = (mean, std)
        ref_mean, ref_std = self._reference
        gain = ref_std / std
        out = cv2.convertScaleAbs(small, alpha=gain, beta=ref_mean - gain * mean)
        rate = 1.0 / self.settings.history  # drift no faster than the background adapts
        self._reference = (
            (1 - rate) * ref_mean + rate * mean,
            (1 - rate) * ref_std + rate * std,
        )
        return out

    def _regions(self, moving: Image, frame_size: tuple[int, int]) -> tuple[Box, ...]:
        s = self.settings
        cleaned = cv2.morphologyEx(moving, cv2.MORPH_OPEN, self._open)
        cleaned = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, self._close)
        count, _labels, stats, _ = cv2.connectedComponentsWithStats(cleaned, connectivity=8)
        min_pixels = s.min_area * moving.shape[0] * moving.shape[1]
        boxes = [
            Box(float(x), float(y), float(x + w), float(y + h))
            for x, y, w, h, pixels in stats[1:count]
            if pixels >= min_pixels
        ]
        merged = merge_boxes(boxes, s.merge_gap * moving.shape[1])
        full_w, full_h = frame_size
        sx, sy = full_w / moving.shape[1], full_h / moving.shape[0]
        pad = s.pad * full_w
        grown = [b.scaled(sx, sy).padded(pad, full_w, full_h) for b in merged]
        return tuple(merge_boxes(grown, 0.0))
