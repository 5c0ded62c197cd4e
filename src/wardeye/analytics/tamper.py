"""Camera tamper: lens covered, picture defocused or blurred, camera turned away.

Each frame is compared with a reference view learned while the picture was normal, on a small
grey copy (cheap). A condition must last ``hold_seconds`` before it counts, so a bus passing
close to the lens is not a cover. Covered and defocused last while the condition does; a move
is reported once, then the new view becomes the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

Frame = npt.NDArray[np.uint8]
WIDTH = 160


class TamperSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hold_seconds: float = Field(3.0, ge=0, description="A condition must last this long.")
    learn_seconds: float = Field(3.0, gt=0, description="Normal picture needed before watching.")
    covered_std: float = Field(
        8.0, gt=0, description="Grey-level spread below this: the lens is covered."
    )
    sharpness_ratio: float = Field(
        0.35, gt=0, lt=1, description="Edge energy below this share of normal: defocused."
    )
    moved_similarity: float = Field(
        0.5, gt=0, lt=1, description="Edge-map correlation with the reference below this: moved."
    )


@dataclass(frozen=True, slots=True)
class TamperChange:
    """A tamper condition began (``active``) or ended; ``kind`` is covered/defocused/moved."""

    kind: str
    active: bool
    at: datetime
    details: dict[str, Any]


def sharpness(grey: npt.NDArray[Any]) -> float:
    return float(cv2.Laplacian(grey, cv2.CV_32F).var())


def edges(grey: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    return np.asarray(cv2.GaussianBlur(cv2.magnitude(gx, gy), (5, 5), 0), np.float32)


def similarity(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    a, b = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / denominator if denominator > 0 else 0.0


class TamperDetector:
    """One per camera; ``update`` every analysed frame in order, with its capture time."""

    def __init__(self, settings: TamperSettings | None = None) -> None:
        self.settings = settings or TamperSettings()
        self._learning_since: datetime | None = None
        self._reference_sharpness: float | None = None
        self._reference_edges: npt.NDArray[np.float32] | None = None
        self._reference_grey: npt.NDArray[np.float32] | None = None
        self._learning_grey: npt.NDArray[np.float32] = np.zeros((1, 1), np.float32)
        self._since: dict[str, datetime] = {}
        self._active: set[str] = set()

    @property
    def active(self) -> frozenset[str]:
        return frozenset(self._active)

    def update(self, frame: Frame, at: datetime) -> list[TamperChange]:
        height, width = frame.shape[:2]
        grey_full = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        grey = cv2.resize(grey_full, (WIDTH, max(1, round(height * WIDTH / width))))
        measures = self._measure(grey)
        if self._reference_edges is None or self._reference_grey is None:
            self._learn(grey, measures, at)
            return []
        conditions = self._conditions(grey, measures)
        changes: list[TamperChange] = []
        for kind in ("covered", "defocused", "moved"):
            present = kind in conditions
            if present:
                start = self._since.setdefault(kind, at)
                held = (at - start).total_seconds() >= self.settings.hold_seconds
                if held and kind not in self._active:
                    self._active.add(kind)
                    changes.append(TamperChange(kind, True, start, conditions[kind]))
            else:
                self._since.pop(kind, None)
                if kind in self._active:
                    self._active.discard(kind)
                    changes.append(TamperChange(kind, False, at, {}))
        if "moved" in self._active:  # the new view is the normal one from now on
            self._active.discard("moved")
            self._since.pop("moved", None)
            self._restart(at)
        elif not conditions:
            self._adapt(grey, measures)
        return changes

    def _measure(self, grey: npt.NDArray[Any]) -> dict[str, float]:
        return {"std": float(grey.std()), "sharpness": sharpness(grey)}

    def _conditions(
        self, grey: npt.NDArray[Any], measures: dict[str, float]
    ) -> dict[str, dict[str, Any]]:
        s = self.settings
        assert self._reference_sharpness is not None
        assert self._reference_edges is not None and self._reference_grey is not None
        found: dict[str, dict[str, Any]] = {}
        if measures["std"] < s.covered_std:
            return {"covered": {"std": round(measures["std"], 2)}}
        ratio = measures["sharpness"] / max(self._reference_sharpness, 1e-6)
        if ratio < s.sharpness_ratio:
            found["defocused"] = {"sharpness_ratio": round(ratio, 3)}
            return found
        current = edges(grey)
        alike = similarity(current, self._reference_edges)
        if alike < s.moved_similarity:
            (dx, dy), _ = cv2.phaseCorrelate(self._reference_edges, current)
            found["moved"] = {
                "similarity": round(alike, 3),
                "dx": round(dx / grey.shape[1], 3),
                "dy": round(dy / grey.shape[1], 3),
            }
        return found

    def _learn(self, grey: npt.NDArray[Any], measures: dict[str, float], at: datetime) -> None:
        if measures["std"] < self.settings.covered_std:
            self._learning_since = None  # a covered lens is no reference
            return
        if self._learning_since is None:
            self._learning_since = at
            self._reference_sharpness = measures["sharpness"]
            self._learning_grey = grey.astype(np.float32)
            return
        self._adapt(grey, measures, rate=0.2, learning=True)
        if (at - self._learning_since).total_seconds() >= self.settings.learn_seconds:
            self._reference_grey = self._learning_grey
            self._reference_edges = edges(self._learning_grey.astype(np.uint8))

    def _adapt(
        self,
        grey: npt.NDArray[Any],
        measures: dict[str, float],
        rate: float = 0.02,
        learning: bool = False,
    ) -> None:
        """Follow slow changes (daylight, seasons) while the picture is normal."""
        assert self._reference_sharpness is not None
        self._reference_sharpness += rate * (measures["sharpness"] - self._reference_sharpness)
        if learning:
            cv2.accumulateWeighted(grey.astype(np.float32), self._learning_grey, rate)
            return
        assert self._reference_edges is not None
        cv2.accumulateWeighted(edges(grey), self._reference_edges, rate)

    def _restart(self, at: datetime) -> None:
        self._learning_since = None
        self._reference_edges = self._reference_grey = None
        self._reference_sharpness = None
