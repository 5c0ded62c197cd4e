"""NanoDet-m (COCO, 416x416) as ONNX: per-stride class scores plus distance distributions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from wardeye.analytics.detectors import Frame, resolve_model_file
from wardeye.analytics.detectors.onnx_session import cpu_session
from wardeye.analytics.detectors.postprocess import Candidates, FloatArray, best_class, finish
from wardeye.analytics.detectors.settings import DetectorSettings, NanoDetSettings
from wardeye.analytics.labels import COCO80, class_label_table
from wardeye.analytics.types import Detections

MEAN = np.array([103.53, 116.28, 123.675], np.float32)
STD = np.array([57.375, 57.12, 58.395], np.float32)
STRIDES = (8, 16, 32)
BINS = 11  # reg_max + 1: each box side is a distribution over 0..10 strides


class NanoDetDetector:
    """Runs the graph converted from the TF.js NanoDet-m and decodes its GFL head: for each
    grid cell, softmax over the bins of each side gives the expected distance (in strides) from
    the cell centre to the left, top, right and bottom edges."""

    def __init__(self, settings: NanoDetSettings, models_dir: Path) -> None:
        self._settings = settings
        self._session = cpu_session(
            resolve_model_file(settings.model, models_dir), settings.threads
        )
        self._input = self._session.get_inputs()[0].name
        self._table = class_label_table(COCO80, settings.keep_labels)
        self.labels: Sequence[str] = tuple(sorted({x for x in self._table if x is not None}))
        self._grids = {s: _cell_centres(settings.input_size, s) for s in STRIDES}
        self._output_names = self._pair_outputs()

    def _pair_outputs(self) -> dict[int, tuple[str, str]]:
        """Find (scores, distances) output names per stride from their shapes."""
        size = self._settings.input_size
        by_cells: dict[int, dict[int, str]] = {}
        for out in self._session.get_outputs():
            cells, depth = int(out.shape[1]), int(out.shape[2])
            by_cells.setdefault(cells, {})[depth] = out.name
        pairs = {}
        for stride in STRIDES:
            found = by_cells[(size // stride) ** 2]
            pairs[stride] = (found[len(COCO80)], found[4 * BINS])
        return pairs

    def detect(self, frames: Sequence[Frame]) -> list[Detections]:
        return [self._detect_one(frame) for frame in frames]

    def _detect_one(self, frame: Frame) -> Detections:
        size = self._settings.input_size
        height, width = frame.shape[:2]
        resized = cv2.resize(frame, (size, size), interpolation=cv2.INTER_LINEAR)
        tensor = ((resized.astype(np.float32) - MEAN) / STD).transpose(2, 0, 1)[None]
        names = [n for pair in self._output_names.values() for n in pair]
        values = dict(zip(names, self._session.run(names, {self._input: tensor}), strict=True))
        parts = []
        for stride, (score_name, dist_name) in self._output_names.items():
            parts.append(self._decode_level(values[score_name][0], values[dist_name][0], stride))
        boxes = np.concatenate([p.boxes for p in parts])
        boxes *= np.array([width / size, height / size] * 2, np.float32)
        candidates = Candidates(
            boxes,
            np.concatenate([p.scores for p in parts]),
            np.concatenate([p.classes for p in parts]),
        )
        s = self._settings
        return finish(candidates, self._table, s.score_threshold, s.nms_iou, (width, height))

    def _decode_level(self, scores: FloatArray, dists: FloatArray, stride: int) -> Candidates:
        classes, best = best_class(scores)
        keep = best >= self._settings.score_threshold
        if not keep.any():
            return Candidates.empty()
        logits = dists[keep].reshape(-1, 4, BINS)
        logits = np.exp(logits - logits.max(axis=2, keepdims=True))
        probs = logits / logits.sum(axis=2, keepdims=True)
        distance = (probs @ np.arange(BINS, dtype=np.float32)) * stride
        centres = self._grids[stride][keep]
        boxes = np.concatenate([centres - distance[:, :2], centres + distance[:, 2:]], axis=1)
        return Candidates(boxes.astype(np.float32), best[keep], classes[keep])


def _cell_centres(size: int, stride: int) -> FloatArray:
    """(x, y) of each grid cell's centre in input pixels, row-major like the head's output."""
    cells = size // stride
    ys, xs = np.mgrid[0:cells, 0:cells].astype(np.float32)
    centres = (np.stack([xs.ravel(), ys.ravel()], axis=1) + 0.5) * stride
    return centres.astype(np.float32)


def create(settings: DetectorSettings, models_dir: Path) -> NanoDetDetector:
    assert isinstance(settings, NanoDetSettings)
    return NanoDetDetector(settings, models_dir)
