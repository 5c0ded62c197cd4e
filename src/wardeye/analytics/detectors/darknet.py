"""Darknet YOLO (e.g. yolov3-tiny) run by OpenCV's DNN module: no extra dependency."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from wardeye.analytics.detectors import Frame, resolve_model_file
from wardeye.analytics.detectors.postprocess import (
    Candidates,
    FloatArray,
    best_class,
    cxcywh_to_xyxy,
    finish,
)
from wardeye.analytics.detectors.settings import DarknetSettings, DetectorSettings
from wardeye.analytics.labels import class_label_table, read_class_names
from wardeye.analytics.types import Detections


class DarknetDetector:
    """Plain-resizes each frame to the square input (as darknet was trained) and decodes the
    ``[N, 5 + C]`` rows of the YOLO layers (centre, size as fractions, objectness, class
    scores that OpenCV already multiplied by objectness)."""

    def __init__(self, settings: DarknetSettings, models_dir: Path) -> None:
        cfg = resolve_model_file(settings.cfg, models_dir)
        weights = resolve_model_file(settings.weights, models_dir)
        names = read_class_names(resolve_model_file(settings.names, models_dir).read_text())
        self._settings = settings
        self._net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
        self._net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        self._outputs = list(self._net.getUnconnectedOutLayersNames())
        self._table = class_label_table(names, settings.keep_labels)
        self.labels: Sequence[str] = tuple(sorted({x for x in self._table if x is not None}))
        cv2.setNumThreads(settings.threads)

    def detect(self, frames: Sequence[Frame]) -> list[Detections]:
        if not frames:
            return []
        size = self._settings.input_size
        blob = cv2.dnn.blobFromImages(
            list(frames), 1 / 255.0, (size, size), swapRB=True, crop=False
        )
        self._net.setInput(blob)
        outs = self._net.forward(self._outputs)
        rows = [np.asarray(o, np.float32).reshape(len(frames), -1, o.shape[-1]) for o in outs]
        return [
            self._decode(np.concatenate([r[i] for r in rows]), frame.shape[1], frame.shape[0])
            for i, frame in enumerate(frames)
        ]

    def _decode(self, rows: FloatArray, width: int, height: int) -> Detections:
        classes, scores = best_class(rows[:, 5:])
        keep = scores >= self._settings.score_threshold
        boxes = cxcywh_to_xyxy(rows[keep, :4]) * np.array(
            [width, height, width, height], np.float32
        )
        candidates = Candidates(boxes.astype(np.float32), scores[keep], classes[keep])
        return finish(
            candidates,
            self._table,
            self._settings.score_threshold,
            self._settings.nms_iou,
            (width, height),
        )


def create(settings: DetectorSettings, models_dir: Path) -> DarknetDetector:
    assert isinstance(settings, DarknetSettings)
    return DarknetDetector(settings, models_dir)
