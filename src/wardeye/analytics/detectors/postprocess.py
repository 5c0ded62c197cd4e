"""Shared steps after a network ran: thresholding, class-wise NMS, letterbox maths, labelling.

Everything here is plain numpy so each backend only has to turn its raw tensors into candidate
boxes in frame pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wardeye.analytics.types import Box, Detection, Detections

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Candidates:
    """Raw boxes (x1, y1, x2, y2 in frame pixels) with their best class and its score."""

    boxes: FloatArray
    scores: FloatArray
    classes: IntArray

    @staticmethod
    def empty() -> Candidates:
        return Candidates(
            np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
        )


def best_class(class_scores: FloatArray) -> tuple[IntArray, FloatArray]:
    """Index and score of the best class of each row of an ``[N, C]`` score matrix."""
    classes = np.argmax(class_scores, axis=1).astype(np.int64)
    return classes, class_scores[np.arange(len(classes)), classes].astype(np.float32)


def cxcywh_to_xyxy(boxes: FloatArray) -> FloatArray:
    half_w, half_h = boxes[:, 2] / 2.0, boxes[:, 3] / 2.0
    return np.stack(
        [boxes[:, 0] - half_w, boxes[:, 1] - half_h, boxes[:, 0] + half_w, boxes[:, 1] + half_h],
        axis=1,
    ).astype(np.float32)


def nms(boxes: FloatArray, scores: FloatArray, iou_threshold: float) -> IntArray:
    """Greedy non-maximum suppression; returns kept indices, best score first."""
    order = np.argsort(-scores, kind="stable")
    areas = np.maximum(0.0, boxes[:, 2] - boxes[:, 0]) * np.maximum(0.0, boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        ix = np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0])
        iy = np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1])
        inter = np.maximum(0.0, ix) * np.maximum(0.0, iy)
        union = areas[i] + areas[rest] - inter
        iou = np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
        order = rest[iou <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def nms_per_class(
    boxes: FloatArray, scores: FloatArray, classes: IntArray, iou_threshold: float
) -> IntArray:
    """NMS that only lets boxes of the same class suppress each other (offset trick)."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    span = float(boxes.max()) + 1.0
    shifted = boxes + (classes.astype(np.float32) * span)[:, None]
    return nms(shifted, scores, iou_threshold)


def finish(
    candidates: Candidates,
    label_table: Sequence[str | None],
    score_threshold: float,
    iou_threshold: float,
    frame_size: tuple[int, int],
) -> Detections:
    """Drop low scores and unwanted classes, run class-wise NMS, clip to the frame, label."""
    width, height = frame_size
    wanted = np.array([label is not None for label in label_table], dtype=bool)
    mask = (candidates.scores >= score_threshold) & wanted[candidates.classes]
    boxes = candidates.boxes[mask]
    scores = candidates.scores[mask]
    classes = candidates.classes[mask]
    keep = nms_per_class(boxes, scores, classes, iou_threshold)
    found: list[Detection] = []
    for i in keep:
        x1, y1, x2, y2 = (float(v) for v in boxes[i])
        box = Box(max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2))
        if box.area <= 0:
            continue
        label = label_table[int(classes[i])]
        assert label is not None
        found.append(Detection(box, label, float(scores[i])))
    return Detections(tuple(found))


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How a frame was fitted into a square network input: uniform scale, then padding."""

    scale: float
    pad_x: float
    pad_y: float

    def to_frame(self, boxes: FloatArray) -> FloatArray:
        """Map ``[N, 4]`` xyxy boxes from network-input pixels back to frame pixels."""
        out = boxes.copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_x) / self.scale
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_y) / self.scale
        return out


def letterbox_geometry(width: int, height: int, size: int) -> tuple[Letterbox, tuple[int, int]]:
    """Scale and centred padding that fit ``width`` x ``height`` into ``size`` x ``size``."""
    scale = min(size / width, size / height)
    new_w, new_h = round(width * scale), round(height * scale)
    return Letterbox(scale, float((size - new_w) // 2), float((size - new_h) // 2)), (new_w, new_h)
