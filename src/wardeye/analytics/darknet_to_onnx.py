"""Convert a darknet YOLO (cfg + weights) to ONNX with the box decoding inside the graph.

Used once at setup: no registry package ships a COCO YOLO as ONNX, but the darknet yolov3-tiny
weights do ship, and writing them out in the YOLOv5 (``[1, N, 5 + C]``) and YOLOv8
(``[1, 4 + C, N]``) output layouts lets the ONNX backend run on real weights. Only the layer
kinds of the YOLOv3 family are handled (convolutional, maxpool, route, upsample, shortcut,
yolo); batch norm is folded into the convolutions. Needs the ``onnx`` package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Layout = Literal["v5", "v8"]
Array = npt.NDArray[np.float32]


@dataclass
class Section:
    kind: str
    options: dict[str, str] = field(default_factory=dict)

    def get_int(self, key: str, default: int) -> int:
        return int(self.options.get(key, default))

    def get_ints(self, key: str) -> list[int]:
        return [int(v) for v in self.options[key].split(",") if v.strip()]


def parse_cfg(text: str) -> list[Section]:
    """Darknet's INI-like network description, in order; ``[net]`` comes first."""
    sections: list[Section] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            sections.append(Section(line.strip("[]").strip()))
        elif "=" in line:
            key, value = line.split("=", 1)
            sections[-1].options[key.strip()] = value.strip()
    return sections


class WeightReader:
    """Reads darknet's weights file: a small header, then float32 runs per layer."""

    def __init__(self, data: bytes) -> None:
        major, minor, _revision = np.frombuffer(data[:12], np.int32)
        header = 20 if (major * 10 + minor) >= 2 else 16  # "seen" is int64 from v0.2
        self._values = np.frombuffer(data[header:], np.float32)
        self._at = 0

    def take(self, count: int) -> Array:
        chunk = self._values[self._at : self._at + count]
        if len(chunk) != count:
            raise ValueError("weights file is shorter than the cfg needs")
        self._at += count
        return chunk.astype(np.float32)

    def remaining(self) -> int:
        return len(self._values) - self._at


class _Graph:
    """Accumulates ONNX nodes and initializers with unique names."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper = helper
        self.numpy_helper = numpy_helper
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self._count = 0

    def name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def const(self, stem: str, value: npt.NDArray[Any]) -> str:
        name = self.name(stem)
        self.inits.append(self.numpy_helper.from_array(value, name))
        return name

    def op(self, kind: str, inputs: Sequence[str], **attrs: Any) -> str:
        out = self.name(kind.lower())
        self.nodes.append(self.helper.make_node(kind, list(inputs), [out], **attrs))
        return out


@dataclass
class _Head:
    raw: str  # conv output [1, A*(5+C), H, W]
    anchors: list[tuple[float, float]]
    grid: int
    stride: int


def _conv(g: _Graph, x: str, channels: int, sec: Section, weights: WeightReader) -> str:
    filters, size, stride = (
        sec.get_int("filters", 1),
        sec.get_int("size", 1),
        sec.get_int("stride", 1),
    )
    pad = size // 2 if sec.get_int("pad", 0) else 0
    if sec.get_int("groups", 1) != 1:
        raise ValueError("grouped convolutions are not supported")
    normalized = bool(sec.get_int("batch_normalize", 0))
    bias = weights.take(filters)
    if normalized:
        scale, mean, var = weights.take(filters), weights.take(filters), weights.take(filters)
    kernel = weights.take(filters * channels * size * size).reshape(filters, channels, size, size)
    if normalized:
        factor = scale / (np.sqrt(var) + np.float32(1e-6))  # darknet adds eps after the sqrt
        kernel = (kernel * factor[:, None, None, None]).astype(np.float32)
        bias = (bias - mean * factor).astype(np.float32)
    y = g.op(
        "Conv",
        [x, g.const("w", kernel), g.const("b", bias)],
        kernel_shape=[size, size],
        strides=[stride, stride],
        pads=[pad, pad, pad, pad],
    )
    activation = sec.options.get("activation", "linear")
    if activation == "leaky":
        return g.op("LeakyRelu", [y], alpha=0.1)
    if activation != "linear":
        raise ValueError(f"activation {activation!r} is not supported")
    return y


@dataclass
class _Tensor:
    name: str
    channels: int
    size: int  # square spatial size


def _layer(
    g: _Graph, sec: Section, x: _Tensor, done: list[_Tensor], weights: WeightReader
) -> _Tensor:
    """Add one darknet layer (not [yolo]) on top of ``x``; ``done`` holds earlier outputs."""
    if sec.kind == "convolutional":
        size, stride = sec.get_int("size", 1), sec.get_int("stride", 1)
        pad = size // 2 if sec.get_int("pad", 0) else 0
        name = _conv(g, x.name, x.channels, sec, weights)
        return _Tensor(name, sec.get_int("filters", 1), (x.size + 2 * pad - size) // stride + 1)
    if sec.kind == "maxpool":
        size, stride = sec.get_int("size", 2), sec.get_int("stride", 2)
        padding = sec.get_int("padding", size - 1)  # darknet pads at the end first
        begin, end = padding // 2, padding - padding // 2
        name = g.op("MaxPool", [x.name], kernel_shape=[size, size], strides=[stride, stride],
                    pads=[begin, begin, end, end])  # fmt: skip
        return _Tensor(name, x.channels, (x.size + padding - size) // stride + 1)
    if sec.kind == "upsample":
        factor = sec.get_int("stride", 2)
        scales = g.const("scales", np.array([1, 1, factor, factor], np.float32))
        return _Tensor(g.op("Resize", [x.name, "", scales], mode="nearest"), x.channels,
                       x.size * factor)  # fmt: skip
    if sec.kind == "route":
        parts = [done[i if i >= 0 else len(done) + i] for i in sec.get_ints("layers")]
        if len(parts) == 1:
            return parts[0]
        name = g.op("Concat", [t.name for t in parts], axis=1)
        return _Tensor(name, sum(t.channels for t in parts), parts[0].size)
    if sec.kind == "shortcut":
        other = done[sec.get_int("from", -3)]
        return _Tensor(g.op("Add", [x.name, other.name]), x.channels, x.size)
    raise ValueError(f"darknet layer [{sec.kind}] is not supported")


def _build_body(
    sections: list[Section], weights: WeightReader, size: int, g: _Graph
) -> list[_Head]:
    done: list[_Tensor] = []
    x = _Tensor("images", 3, size)
    heads: list[_Head] = []
    for sec in sections[1:]:
        if sec.kind == "yolo":
            anchors = sec.get_ints("anchors")
            pairs = [
                (float(anchors[2 * m]), float(anchors[2 * m + 1])) for m in sec.get_ints("mask")
            ]
            heads.append(_Head(x.name, pairs, x.size, size // x.size))
        else:
            x = _layer(g, sec, x, done, weights)
        done.append(x)
    return heads


def _decode_head(g: _Graph, head: _Head, classes: int) -> tuple[str, str, str, str]:
    """Return (xy, wh, objectness, class probabilities) as ``[1, A*H*W, k]`` tensors in
    network-input pixels, ordered row, column, anchor like OpenCV's darknet reader."""
    a, n = len(head.anchors), head.grid
    depth = 5 + classes
    y = g.op("Reshape", [head.raw, g.const("shape", np.array([1, a, depth, n, n], np.int64))])
    y = g.op("Transpose", [y], perm=[0, 3, 4, 1, 2])
    y = g.op("Reshape", [y, g.const("shape", np.array([1, a * n * n, depth], np.int64))])

    def part(start: int, end: int) -> str:
        return g.op(
            "Slice",
            [y, g.const("s", np.array([start], np.int64)), g.const("e", np.array([end], np.int64)),
             g.const("ax", np.array([2], np.int64))],
        )  # fmt: skip

    ys, xs = np.mgrid[0:n, 0:n].astype(np.float32)
    cells = np.stack([xs.ravel(), ys.ravel()], axis=1)
    grid = np.repeat(cells, a, axis=0)[None]
    anchor_wh = np.tile(np.array(head.anchors, np.float32), (n * n, 1))[None]
    stride = g.const("stride", np.array(head.stride, np.float32))
    xy = g.op("Mul", [g.op("Add", [g.op("Sigmoid", [part(0, 2)]), g.const("grid", grid)]), stride])
    wh = g.op("Mul", [g.op("Exp", [part(2, 4)]), g.const("anchors", anchor_wh)])
    obj = g.op("Sigmoid", [part(4, 5)])
    cls = g.op("Sigmoid", [part(5, depth)])
    return xy, wh, obj, cls


def convert(cfg_text: str, weights: bytes, layout: Layout, input_size: int | None = None) -> bytes:
    """Serialized ONNX model: input ``images`` ``[1, 3, S, S]`` RGB in 0-1, output ``output0``
    in the YOLOv5 layout (cx, cy, w, h, objectness, class probabilities) or the YOLOv8 layout
    (cx, cy, w, h, class scores = objectness x probability, transposed)."""
    import onnx
    from onnx import TensorProto, helper

    sections = parse_cfg(cfg_text)
    size = input_size or int(sections[0].options.get("width", 416))
    reader = WeightReader(weights)
    g = _Graph()
    heads = _build_body(sections, reader, size, g)
    if reader.remaining():
        raise ValueError(f"{reader.remaining()} weights left over: cfg does not match weights")
    classes = int(next(s for s in sections if s.kind == "yolo").options["classes"])
    rows = []
    for head in heads:
        xy, wh, obj, cls = _decode_head(g, head, classes)
        if layout == "v5":
            rows.append(g.op("Concat", [xy, wh, obj, cls], axis=2))
        else:
            rows.append(g.op("Concat", [xy, wh, g.op("Mul", [obj, cls])], axis=2))
    out = g.op("Concat", rows, axis=1)
    count = sum(len(h.anchors) * h.grid * h.grid for h in heads)
    shape = [1, count, 5 + classes]
    if layout == "v8":
        out = g.op("Transpose", [out], perm=[0, 2, 1])
        shape = [1, 4 + classes, count]
    g.nodes.append(helper.make_node("Identity", [out], ["output0"]))
    graph = helper.make_graph(
        g.nodes,
        f"darknet-yolo-{layout}",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, shape)],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    model.producer_name = "wardeye.analytics.darknet_to_onnx"
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def convert_files(cfg: Path, weights: Path, out: Path, layout: Layout) -> None:
    """Write ``out`` atomically (temp file, then rename) so a crash leaves no half model."""
    data = convert(cfg.read_text(), weights.read_bytes(), layout)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
