"""The darknet-to-ONNX converter computes what OpenCV computes from the same darknet files.

A small random network with every supported layer kind (conv with and without batch norm,
both maxpool kinds, route, upsample, shortcut, two yolo heads) is written as cfg + weights,
read by OpenCV's darknet importer and by onnxruntime after conversion, and the outputs compared.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from wardeye.analytics.darknet_to_onnx import WeightReader, convert, parse_cfg

CFG = """
[net]
width=64
height=64
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[shortcut]
from=-2
activation=linear

[maxpool]
size=2
stride=1

[convolutional]
size=1
stride=1
pad=1
filters=21
activation=linear

[yolo]
mask = 2,3,4
anchors = 4,6, 8,10, 12,16, 20,30, 40,50
classes=2
num=5

[route]
layers = -3

[upsample]
stride=2

[route]
layers = -1, 0

[convolutional]
size=1
stride=1
pad=1
filters=21
activation=linear

[yolo]
mask = 0,1,2
anchors = 4,6, 8,10, 12,16, 20,30, 40,50
classes=2
num=5
"""


def random_weights(rng: np.random.Generator) -> bytes:
    header = np.array([0, 2, 0], np.int32).tobytes() + np.array([0], np.int64).tobytes()
    parts = []
    for filters, channels, size, bn in ((8, 3, 3, True), (8, 8, 3, True), (21, 8, 1, False),
                                        (21, 16, 1, False)):  # fmt: skip
        parts.append(rng.normal(0, 0.1, filters))  # biases
        if bn:
            parts += [rng.uniform(0.5, 1.5, filters), rng.normal(0, 0.1, filters),
                      rng.uniform(0.5, 1.5, filters)]  # fmt: skip
        parts.append(rng.normal(0, 0.3, filters * channels * size * size))
    return header + np.concatenate(parts).astype(np.float32).tobytes()


def test_parse_cfg_reads_sections_in_order() -> None:
    sections = parse_cfg(CFG)
    assert [s.kind for s in sections][:3] == ["net", "convolutional", "maxpool"]
    assert sections[-1].get_ints("mask") == [0, 1, 2]


@pytest.mark.parametrize("layout", ["v5", "v8"])
def test_converted_graph_matches_opencv(layout: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    weights = random_weights(rng)
    (tmp_path / "net.cfg").write_text(CFG)
    (tmp_path / "net.weights").write_bytes(weights)
    net = cv2.dnn.readNetFromDarknet(str(tmp_path / "net.cfg"), str(tmp_path / "net.weights"))
    image = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    blob = cv2.dnn.blobFromImage(image, 1 / 255.0, (64, 64), swapRB=True)
    net.setInput(blob)
    outs = net.forward(net.getUnconnectedOutLayersNames())
    reference = np.concatenate([o.reshape(-1, 7) for o in outs])
    session = ort.InferenceSession(convert(CFG, weights, layout))  # type: ignore[arg-type]
    got = session.run(None, {"images": blob})[0][0]
    rows = got if layout == "v5" else got.T
    assert rows.shape[0] == reference.shape[0] == 3 * 32 * 32 + 3 * 64 * 64
    np.testing.assert_allclose(rows[:, :4] / 64, reference[:, :4], atol=1e-4)
    if layout == "v5":
        np.testing.assert_allclose(rows[:, 4], reference[:, 4], atol=1e-4)
        scores = rows[:, 5:] * rows[:, 4:5]
    else:
        scores = rows[:, 4:]
    kept = reference[:, 5:] > 0  # OpenCV zeroes scores under its own threshold
    np.testing.assert_allclose(scores[kept], reference[:, 5:][kept], atol=1e-4)


def test_weights_that_do_not_fit_the_cfg_are_refused() -> None:
    weights = random_weights(np.random.default_rng(1))
    with pytest.raises(ValueError, match="left over"):
        convert(CFG, weights + np.zeros(4, np.float32).tobytes(), "v5")
    with pytest.raises(ValueError, match="shorter"):
        convert(CFG, weights[:-40], "v5")
    assert WeightReader(weights).remaining() > 0
