"""YOLO-family ONNX models (YOLOv5 ``[1, N, 5+C]``; YOLOv8/v11 ``[1, 4+C, N]``) on ONNX Runtime.

Frames are letterboxed (uniform scale, grey 114 padding, as these models were trained), boxes
are mapped back to frame pixels, and NMS runs per class.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from wardeye.analytics.detectors import Frame, resolve_model_file
from wardeye.analytics.detectors.onnx_session import cpu_session
from wardeye.analytics.detectors.postprocess import (
    Candidates,
    FloatArray,
    Letterbox,
    best_class,
    cxcywh_to_xyxy,
    finish,
    letterbox_geometry,
)
from wardeye.analytics.detectors.settings import DetectorSettings, OnnxYoloSettings
from wardeye.analytics.labels import COCO80, class_label_table, read_class_names
from wardeye.analytics.types import Detections
from wardeye.core.errors import ConfigError

PAD_VALUE = 114
DEFAULT_SIZE = 640


def letterbox(frame: Frame, size: int) -> tuple[FloatArray, Letterbox]:
    """``[3, size, size]`` RGB float tensor in 0-1 and the geometry to undo it."""
    height, width = frame.shape[:2]
    geometry, (new_w, new_h) = letterbox_geometry(width, height, size)
    canvas = np.full((size, size, 3), PAD_VALUE, np.uint8)
    x0, y0 = int(geometry.pad_x), int(geometry.pad_y)
    canvas[y0 : y0 + new_h, x0 : x0 + new_w] = cv2.resize(
        frame, (new_w, new_h), interpolation=cv2.INTER_LINEAR
    )
    tensor = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB).transpose(2, 0, 1).astype(np.float32) / 255.0
    return tensor, geometry


def rows_from_output(output: FloatArray, classes: int, layout: str) -> tuple[FloatArray, str]:
    """Turn one image's raw output (``[N, 5+C]`` or ``[4+C, N]``) into ``[N, 4+C]`` rows of
    (cx, cy, w, h, class scores), and say which layout it was."""
    if layout == "auto":
        layout = "v8" if output.shape[0] == 4 + classes and output.shape[1] != 5 + classes else "v5"
    if layout == "v8":
        if output.shape[0] != 4 + classes:
            raise ConfigError(f"output {output.shape} is not a YOLOv8 [4+{classes}, N] output")
        return output.T, layout
    if output.shape[1] != 5 + classes:
        raise ConfigError(f"output {output.shape} is not a YOLOv5 [N, 5+{classes}] output")
    scores = output[:, 5:] * output[:, 4:5]  # class probability x objectness
    return np.concatenate([output[:, :4], scores], axis=1), layout


class OnnxYoloDetector:
    """Any YOLO-format detector exported to ONNX with one output tensor."""

    def __init__(self, settings: OnnxYoloSettings, models_dir: Path) -> None:
        self._settings = settings
        self._session = cpu_session(
            resolve_model_file(settings.model, models_dir), settings.threads
        )
        meta = self._session.get_inputs()[0]
        self._input = meta.name
        self._batched = not isinstance(meta.shape[0], int) or meta.shape[0] != 1
        declared = meta.shape[2] if isinstance(meta.shape[2], int) else None
        self._size = settings.input_size or declared or DEFAULT_SIZE
        if declared is not None and declared != self._size:
            raise ConfigError(f"model input is {declared}px but input_size says {self._size}")
        names = (
            read_class_names(resolve_model_file(settings.names, models_dir).read_text())
            if settings.names
            else COCO80
        )
        self._classes = len(names)
        self._table = class_label_table(names, settings.keep_labels)
        self.labels: Sequence[str] = tuple(sorted({x for x in self._table if x is not None}))
        self.layout: str = settings.layout

    def detect(self, frames: Sequence[Frame]) -> list[Detections]:
        if not frames:
            return []
        prepared = [letterbox(frame, self._size) for frame in frames]
        tensors = np.stack([t for t, _ in prepared])
        if self._batched:
            outputs = list(self._session.run(None, {self._input: tensors})[0])
        else:
            outputs = [self._session.run(None, {self._input: t[None]})[0][0] for t in tensors]
        return [
            self._decode(np.asarray(out, np.float32), geometry, frame.shape[1], frame.shape[0])
            for out, (_, geometry), frame in zip(outputs, prepared, frames, strict=True)
        ]

    def _decode(
        self, output: FloatArray, geometry: Letterbox, width: int, height: int
    ) -> Detections:
        rows, self.layout = rows_from_output(output, self._classes, self.layout)
        classes, scores = best_class(rows[:, 4:])
        keep = scores >= self._settings.score_threshold
        boxes = geometry.to_frame(cxcywh_to_xyxy(rows[keep, :4]))
        s = self._settings
        candidates = Candidates(boxes, scores[keep], classes[keep])
        return finish(candidates, self._table, s.score_threshold, s.nms_iou, (width, height))


def create(settings: DetectorSettings, models_dir: Path) -> OnnxYoloDetector:
    assert isinstance(settings, OnnxYoloSettings)
    return OnnxYoloDetector(settings, models_dir)
