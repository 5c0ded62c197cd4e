"""Shared detector maths: NMS, letterbox, label mapping, YOLO output layouts."""

from __future__ import annotations

import numpy as np
import pytest

from wardeye.analytics.detectors.onnx_yolo import letterbox, rows_from_output
from wardeye.analytics.detectors.postprocess import (
    Candidates,
    finish,
    letterbox_geometry,
    nms,
    nms_per_class,
)
from wardeye.analytics.labels import COCO80, class_label_table, read_class_names
from wardeye.core.errors import ConfigError


def test_nms_keeps_the_best_of_overlapping_boxes_only() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], np.float32)
    scores = np.array([0.6, 0.9, 0.5], np.float32)
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert nms(boxes, scores, 0.9).tolist() == [1, 0, 2]  # IoU 0.68 is under 0.9


def test_nms_per_class_lets_different_classes_overlap() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], np.float32)
    scores = np.array([0.9, 0.8], np.float32)
    assert nms_per_class(boxes, scores, np.array([0, 2]), 0.5).tolist() == [0, 1]
    assert nms_per_class(boxes, scores, np.array([2, 2]), 0.5).tolist() == [0]


def test_coco_names_map_to_wardeye_labels() -> None:
    table = class_label_table(COCO80)
    assert table[0] == "person" and table[3] == "motorbike" and table[7] == "truck"
    assert table[14] is None  # bird
    assert sum(x is not None for x in table) == 6
    darknet = read_class_names("person\nbicycle\ncar\nmotorbike\n\n")
    assert class_label_table(darknet, ("motorbike",)) == (None, None, None, "motorbike")
    assert class_label_table(COCO80, ("dog",))[16] == "dog"


def test_finish_filters_labels_scores_and_clips_to_the_frame() -> None:
    candidates = Candidates(
        np.array([[-5, -5, 50, 60], [10, 10, 20, 20], [0, 0, 30, 30]], np.float32),
        np.array([0.9, 0.95, 0.2], np.float32),
        np.array([0, 14, 2], np.int64),
    )
    found = finish(candidates, class_label_table(COCO80), 0.3, 0.45, (40, 40))
    assert [(d.label, d.box.x1, d.box.y1, d.box.x2, d.box.y2) for d in found] == [
        ("person", 0.0, 0.0, 40.0, 40.0)
    ]


def test_letterbox_round_trip_maps_boxes_back_to_the_frame() -> None:
    frame = np.zeros((576, 768, 3), np.uint8)
    frame[100:200, 300:400] = 255
    tensor, geometry = letterbox(frame, 416)
    assert tensor.shape == (3, 416, 416) and tensor.dtype == np.float32
    assert geometry.scale == pytest.approx(416 / 768) and geometry.pad_x == 0
    assert geometry.pad_y == (416 - 312) // 2
    assert tensor[0, 0, 0] == pytest.approx(114 / 255)  # grey padding on top
    white = np.argwhere(tensor[0] > 0.99)
    (y1, x1), (y2, x2) = white.min(axis=0), white.max(axis=0) + 1
    back = geometry.to_frame(np.array([[x1, y1, x2, y2]], np.float32))[0]
    np.testing.assert_allclose(back, [300, 100, 400, 200], atol=2.5)


def test_letterbox_geometry_for_portrait_frames() -> None:
    geometry, (w, h) = letterbox_geometry(360, 640, 320)
    assert (w, h) == (180, 320) and geometry.pad_x == 70 and geometry.pad_y == 0


def test_yolo_layouts_are_told_apart_and_normalised() -> None:
    v5 = np.zeros((6, 85), np.float32)
    v5[0, :4] = [50, 60, 20, 40]
    v5[0, 4] = 0.5  # objectness
    v5[0, 5] = 0.8  # person probability
    rows, layout = rows_from_output(v5, 80, "auto")
    assert layout == "v5" and rows.shape == (6, 84)
    assert rows[0, 4] == pytest.approx(0.4)  # probability x objectness
    v8 = np.ascontiguousarray(rows.T)
    again, layout = rows_from_output(v8, 80, "auto")
    assert layout == "v8"
    np.testing.assert_array_equal(again, rows)
    with pytest.raises(ConfigError):
        rows_from_output(np.zeros((6, 90), np.float32), 80, "v5")
    with pytest.raises(ConfigError):
        rows_from_output(v5, 80, "v8")
