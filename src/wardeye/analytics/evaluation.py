"""Precision and recall of detections against hand-drawn boxes, used by tests and benchmarks.

Matching is greedy by IoU, best-scoring detection first (as in PASCAL VOC); detections that
land on a box marked "ignore" (a person mostly hidden) count neither way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wardeye.analytics.types import Box, Detection


@dataclass(frozen=True, slots=True)
class MatchCounts:
    hits: int
    false_alarms: int
    misses: int

    @property
    def precision(self) -> float:
        found = self.hits + self.false_alarms
        return self.hits / found if found else 1.0

    @property
    def recall(self) -> float:
        truth = self.hits + self.misses
        return self.hits / truth if truth else 1.0

    def __add__(self, other: MatchCounts) -> MatchCounts:
        return MatchCounts(
            self.hits + other.hits,
            self.false_alarms + other.false_alarms,
            self.misses + other.misses,
        )


def match(
    detections: Iterable[Detection],
    truth: Sequence[Box],
    iou_threshold: float,
    ignore: Sequence[Box] = (),
) -> MatchCounts:
    """Count hits, false alarms and misses of one frame's detections of one label."""
    taken = [False] * len(truth)
    hits = false_alarms = 0
    for det in sorted(detections, key=lambda d: -d.score):
        best, best_iou = -1, iou_threshold
        for i, box in enumerate(truth):
            overlap = det.box.iou(box)
            if not taken[i] and overlap >= best_iou:
                best, best_iou = i, overlap
        if best >= 0:
            taken[best] = True
            hits += 1
        elif not any(det.box.iou(box) >= iou_threshold for box in ignore):
            false_alarms += 1
    return MatchCounts(hits, false_alarms, taken.count(False))
