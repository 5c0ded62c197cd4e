"""Constant-velocity Kalman filter over a box's centre and size (as in SORT/ByteTrack).

State: cx, cy, w, h and their velocities per step. Noise grows with the box's height, so a
near (large) person may move more pixels per step than a distant one.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from wardeye.analytics.types import Box

Vector = npt.NDArray[np.float64]

POSITION_NOISE = 1.0 / 20
VELOCITY_NOISE = 1.0 / 160


def _constant(matrix: Vector) -> Vector:
    matrix.setflags(write=False)
    return matrix


_F = _constant(np.eye(8) + np.eye(8, k=4))  # x' = x + v (one step)
_H = _constant(np.eye(4, 8))  # we measure cx, cy, w, h


def box_to_measurement(box: Box) -> Vector:
    cx, cy = box.center
    return np.array([cx, cy, box.width, box.height], np.float64)


class BoxKalman:
    """One filter per track; ``predict`` once per frame, ``update`` when a box matched."""

    def __init__(self, box: Box) -> None:
        z = box_to_measurement(box)
        self.x: Vector = np.concatenate([z, np.zeros(4)])
        h = max(z[3], 1.0)
        std = [2 * POSITION_NOISE * h] * 4 + [10 * VELOCITY_NOISE * h] * 4
        self.p: Vector = np.diag(np.square(std))

    def predict(self) -> None:
        h = max(self.x[3], 1.0)
        std = [POSITION_NOISE * h] * 4 + [VELOCITY_NOISE * h] * 4
        self.x = _F @ self.x
        self.p = _F @ self.p @ _F.T + np.diag(np.square(std))
        self.x[2:4] = np.maximum(self.x[2:4], 1.0)  # a box never shrinks to nothing

    def update(self, box: Box) -> None:
        z = box_to_measurement(box)
        h = max(self.x[3], 1.0)
        r = np.diag(np.square([POSITION_NOISE * h] * 4))
        s = _H @ self.p @ _H.T + r
        gain = np.linalg.solve(s, (self.p @ _H.T).T).T
        self.x = self.x + gain @ (z - _H @ self.x)
        self.p = (np.eye(8) - gain @ _H) @ self.p

    @property
    def box(self) -> Box:
        cx, cy, w, h = (float(v) for v in self.x[:4])
        return Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

    @property
    def velocity(self) -> tuple[float, float]:
        """Centre motion in pixels per step."""
        return float(self.x[4]), float(self.x[5])
