"""Every detector backend, with real COCO weights, against people drawn by hand on vtest.avi.

Reference (4 frames, 25 people, IoU >= 0.3; measured when the thresholds were chosen):
NanoDet-m P 1.00 R 0.96; yolov3-tiny in OpenCV P 1.00 R 0.84; the same weights as ONNX
(letterboxed) P 0.95 R 0.80. The floors below leave room for small numeric drift only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import pytest

from wardeye.analytics.detectors import (
    DarknetSettings,
    DetectorSettings,
    NanoDetSettings,
    OnnxYoloSettings,
    build_detector,
)
from wardeye.analytics.detectors.onnx_yolo import OnnxYoloDetector
from wardeye.analytics.evaluation import MatchCounts, match
from wardeye.analytics.types import Box

Frame = npt.NDArray[np.uint8]


def boxes(rows: list[list[float]]) -> list[Box]:
    return [Box(*row) for row in rows]


BACKENDS: dict[str, tuple[DetectorSettings, float, float]] = {
    "nanodet": (NanoDetSettings(), 0.95, 0.92),
    "darknet": (DarknetSettings(), 0.95, 0.80),
    "onnx_yolo_v5": (OnnxYoloSettings(model=Path("yolov3-tiny-v5.onnx")), 0.9, 0.76),
    "onnx_yolo_v8": (OnnxYoloSettings(model=Path("yolov3-tiny-v8.onnx")), 0.9, 0.76),
}


def score(
    settings: DetectorSettings,
    models_dir: Path,
    frames: dict[int, Frame],
    annotations: dict[str, Any],
) -> tuple[MatchCounts, MatchCounts]:
    detector = build_detector(settings, models_dir)
    order = sorted(frames)
    results = detector.detect([frames[i] for i in order])  # batched call
    people = vehicles = MatchCounts(0, 0, 0)
    for index, found in zip(order, results, strict=True):
        truth = annotations["frames"][str(index)]
        people += match(
            found.with_label("person"),
            boxes(truth["person"]),
            0.3,
            ignore=boxes(truth["person_hard"]),
        )
        parked = [d for d in found if d.label in ("car", "truck", "bus")]
        vehicles += match(parked, boxes(truth["vehicle"]), 0.3)
    return people, vehicles


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_people_and_parked_vehicles_are_found(
    name: str,
    models_dir: Path,
    annotated_frames: dict[int, Frame],
    annotations: dict[str, Any],
) -> None:
    settings, min_precision, min_recall = BACKENDS[name]
    people, vehicles = score(settings, models_dir, annotated_frames, annotations)
    print(f"{name}: people {people} P={people.precision:.2f} R={people.recall:.2f}")
    assert people.precision >= min_precision, people
    assert people.recall >= min_recall, people
    assert vehicles.recall >= 0.75, vehicles


def test_only_wardeye_labels_are_reported(
    models_dir: Path, annotated_frames: dict[int, Frame]
) -> None:
    detector = build_detector(NanoDetSettings(score_threshold=0.2), models_dir)
    labels = {d.label for found in detector.detect(list(annotated_frames.values())) for d in found}
    assert "person" in labels
    assert labels <= {"person", "bicycle", "motorbike", "car", "bus", "truck"}
    people_only = build_detector(NanoDetSettings(keep_labels=("person",)), models_dir)
    assert people_only.labels == ("person",)
    assert {d.label for d in people_only.detect([annotated_frames[150]])[0]} == {"person"}


def test_onnx_export_matches_opencv_darknet_row_for_row(
    models_dir: Path, annotated_frames: dict[int, Frame]
) -> None:
    """The converted graph must compute what OpenCV computes from the original darknet
    files: same input blob, same boxes, objectness and class scores."""
    net = cv2.dnn.readNetFromDarknet(
        str(models_dir / "yolov3-tiny.cfg"), str(models_dir / "yolov3-tiny.weights")
    )
    blob = cv2.dnn.blobFromImage(annotated_frames[150], 1 / 255.0, (416, 416), swapRB=True)
    net.setInput(blob)
    reference = np.concatenate(
        [o.reshape(-1, 85) for o in net.forward(net.getUnconnectedOutLayersNames())]
    )
    session = ort.InferenceSession(str(models_dir / "yolov3-tiny-v5.onnx"))
    rows = session.run(None, {"images": blob})[0][0]
    assert rows.shape == reference.shape == (2535, 85)
    confident = reference[:, 5:].max(axis=1) > 0.25  # OpenCV zeroes class scores below ~0.24
    assert confident.sum() >= 5
    np.testing.assert_allclose(rows[confident, :4] / 416, reference[confident, :4], atol=1e-4)
    np.testing.assert_allclose(rows[confident, 4], reference[confident, 4], atol=1e-4)
    scores = rows[:, 5:] * rows[:, 4:5]
    kept = reference[:, 5:] > 0  # the class scores OpenCV did not zero
    assert kept.sum() >= 5
    np.testing.assert_allclose(scores[kept], reference[:, 5:][kept], atol=1e-3)
    v8 = ort.InferenceSession(str(models_dir / "yolov3-tiny-v8.onnx")).run(None, {"images": blob})
    assert v8[0].shape == (1, 84, 2535)
    np.testing.assert_allclose(v8[0][0].T[:, 4:], rows[:, 5:] * rows[:, 4:5], atol=1e-5)


def test_onnx_backend_tells_layouts_apart(
    models_dir: Path, annotated_frames: dict[int, Frame]
) -> None:
    found = {}
    for layout in ("v5", "v8"):
        detector = build_detector(
            OnnxYoloSettings(model=Path(f"yolov3-tiny-{layout}.onnx")), models_dir
        )
        found[layout] = detector.detect([annotated_frames[50]])[0]
        assert isinstance(detector, OnnxYoloDetector)
        assert detector.layout == layout
    a, b = found["v5"], found["v8"]
    assert len(a) == len(b) >= 4
    for x, y in zip(a, b, strict=True):
        assert x.label == y.label and x.box.iou(y.box) > 0.99 and abs(x.score - y.score) < 1e-3
