"""COCO class names and how they map to the labels WardEye cares about."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

COCO80: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
    "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote",
    "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book",
    "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip

# COCO name -> WardEye label. Darknet's coco.names spells "motorbike"; both map the same way.
WARDEYE_LABELS: Mapping[str, str] = {
    "person": "person",
    "bicycle": "bicycle",
    "motorcycle": "motorbike",
    "motorbike": "motorbike",
    "car": "car",
    "bus": "bus",
    "truck": "truck",
}

DEFAULT_KEEP: tuple[str, ...] = ("person", "bicycle", "motorbike", "car", "bus", "truck")


def class_label_table(
    class_names: Sequence[str], keep: Sequence[str] = DEFAULT_KEEP
) -> tuple[str | None, ...]:
    """For each model class index, the WardEye label to report, or None to drop the class.

    Classes outside the WardEye mapping keep their own name, so an operator can ask for e.g.
    ``dog`` by listing it in ``keep``.
    """
    wanted = set(keep)
    table: list[str | None] = []
    for name in class_names:
        label = WARDEYE_LABELS.get(name, name)
        table.append(label if label in wanted else None)
    return tuple(table)


def read_class_names(text: str) -> tuple[str, ...]:
    """Parse a darknet-style names file: one class per line, blank lines ignored."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())
