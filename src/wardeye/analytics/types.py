"""What detectors and the tracker exchange: plain pixel boxes with a label and a score."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Box:
    """Axis-aligned box in pixels of the frame it was found in (x2/y2 exclusive edges)."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return max(0.0, self.x2 - self.x1)

    @property
    def height(self) -> float:
        return max(0.0, self.y2 - self.y1)

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)

    def shifted(self, dx: float, dy: float) -> Box:
        return Box(self.x1 + dx, self.y1 + dy, self.x2 + dx, self.y2 + dy)

    def scaled(self, sx: float, sy: float) -> Box:
        return Box(self.x1 * sx, self.y1 * sy, self.x2 * sx, self.y2 * sy)

    def padded(self, pad: float, width: int, height: int) -> Box:
        """Grow by ``pad`` pixels on each side, clipped to a ``width`` x ``height`` frame."""
        return Box(
            max(0.0, self.x1 - pad),
            max(0.0, self.y1 - pad),
            min(float(width), self.x2 + pad),
            min(float(height), self.y2 + pad),
        )

    def iou(self, other: Box) -> float:
        ix = min(self.x2, other.x2) - max(self.x1, other.x1)
        iy = min(self.y2, other.y2) - max(self.y1, other.y1)
        if ix <= 0 or iy <= 0:
            return 0.0
        inter = ix * iy
        return inter / (self.area + other.area - inter)


@dataclass(frozen=True, slots=True)
class Detection:
    """One object found in one frame: ``label`` is a WardEye label such as ``person``."""

    box: Box
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class Detections:
    """All objects a detector found in one frame, best score first."""

    items: tuple[Detection, ...] = ()

    def __iter__(self) -> Iterator[Detection]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def with_label(self, label: str) -> Detections:
        return Detections(tuple(d for d in self.items if d.label == label))
