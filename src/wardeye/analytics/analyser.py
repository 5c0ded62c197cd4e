"""One camera's analysis, frame by frame: motion → detection where it moved → tracking →
zone/line rules, plus tamper checks on the whole picture. Produces rule outputs with a
snapshot frame; knows nothing of processes, queues or the catalog."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cv2
import numpy as np

from wardeye.analytics.detectors import Detector, Frame
from wardeye.analytics.motion import MotionDetector, MotionSettings
from wardeye.analytics.regions import RegionDetector
from wardeye.analytics.rules import RuleEnd, RuleEngine, RuleEvent, RuleOutput, TrackState
from wardeye.analytics.tamper import TamperDetector, TamperSettings
from wardeye.analytics.tracker import Tracker, TrackerSettings
from wardeye.analytics.types import Detections
from wardeye.analytics.zones import ZoneSpec

COLOURS = {"person": (0, 200, 255), "default": (0, 255, 0)}


@dataclass(frozen=True, slots=True)
class FrameResult:
    """What one analysed frame gave: confirmed tracks, rule outputs, and the frame they refer to
    (kept only when an event needs a snapshot)."""

    tracks: tuple[TrackState, ...]
    outputs: tuple[RuleOutput, ...]
    frame: Frame | None
    detected: int
    motion: bool


class CameraAnalyser:
    def __init__(
        self,
        detector: Detector,
        zones: Sequence[ZoneSpec] = (),
        timezone: str = "UTC",
        motion: MotionSettings | None = None,
        tracker: TrackerSettings | None = None,
        tamper: TamperSettings | None = None,
        motion_gating: bool = True,
    ) -> None:
        exclude = [z.points for z in zones if z.kind == "polygon" and z.settings.mask == "exclude"]
        self.motion = MotionDetector(motion, exclude=exclude)
        self.regions = RegionDetector(detector)
        self.detector = detector
        self.tracker = Tracker(tracker)
        self.rules = RuleEngine(zones, timezone)
        self.tamper = TamperDetector(tamper)
        self.motion_gating = motion_gating
        self._tamper_keys: dict[str, str] = {}
        self._serial = 0

    def process(self, frame: Frame, at: datetime) -> FrameResult:
        height, width = frame.shape[:2]
        outputs: list[RuleOutput] = list(self._tamper(frame, at))
        moved = self.motion.update(frame)
        if self.tamper.active:
            detections = Detections()  # a covered or blurred picture has nothing to track
        elif self.motion_gating:
            detections = self.regions.detect(frame, moved.regions)
        else:
            detections = self.detector.detect([frame])[0]
        update = self.tracker.update(detections)
        tracks = tuple(
            TrackState(
                t.id,
                t.label,
                (t.box.x1 / width, t.box.y1 / height, t.box.x2 / width, t.box.y2 / height),
                t.score,
            )
            for t in update.active
        )
        outputs += self.rules.update(at, tracks, [t.id for t in update.ended])
        keep = any(isinstance(o, RuleEvent) for o in outputs)
        return FrameResult(
            tracks, tuple(outputs), frame if keep else None, len(detections), bool(moved.regions)
        )

    def finish(self, at: datetime) -> list[RuleOutput]:
        out = self.rules.finish(at)
        out += [RuleEnd(key, at, {"stream_stopped": True}) for key in self._tamper_keys.values()]
        self._tamper_keys.clear()
        return out

    def _tamper(self, frame: Frame, at: datetime) -> list[RuleOutput]:
        out: list[RuleOutput] = []
        for change in self.tamper.update(frame, at):
            kind = f"tamper_{change.kind}"
            if change.active:
                self._serial += 1
                key = f"{kind}:{self._serial}"
                instant = change.kind == "moved"
                out.append(
                    RuleEvent(key, kind, change.at, at if instant else None, details=change.details)
                )
                if not instant:
                    self._tamper_keys[change.kind] = key
            elif change.kind in self._tamper_keys:
                out.append(RuleEnd(self._tamper_keys.pop(change.kind), change.at))
        return out


def render_snapshot(frame: Frame, event: RuleEvent, quality: int = 85) -> bytes:
    """JPEG of the whole frame with the event's boxes drawn, for the event list."""
    image = frame.copy()
    height, width = image.shape[:2]
    colour = COLOURS.get(event.label or "", COLOURS["default"])
    for x1, y1, x2, y2 in event.boxes:
        p1 = (round(x1 * width), round(y1 * height))
        p2 = (round(x2 * width), round(y2 * height))
        cv2.rectangle(image, p1, p2, colour, 2)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(np.asarray(data).tobytes())


def describe(event: RuleEvent) -> dict[str, Any]:
    """Plain dict of an event for IPC (no numpy, no frames)."""
    return {
        "key": event.key,
        "kind": event.kind,
        "start": event.start,
        "end": event.end,
        "label": event.label,
        "zone": event.zone,
        "track_id": event.track_id,
        "confidence": event.confidence,
        "details": event.details,
    }
