"""Multi-object tracker in the SORT/ByteTrack family: Kalman prediction, IoU matching with the
Hungarian method, a second pass for low-score boxes, stable ids, and the best snapshot.

Detections of different labels never match each other, except the vehicle labels a detector
confuses for one object (car/truck/bus): the track keeps its first label. A track is confirmed after
``min_hits`` matches, so a one-frame false alarm never becomes an event; a confirmed track
survives ``max_missed`` frames without a match (occlusion behind a lamp post) before it ends.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from wardeye.analytics.assignment import linear_sum_assignment
from wardeye.analytics.kalman import BoxKalman
from wardeye.analytics.types import Box, Detection, Detections

Frame = npt.NDArray[np.uint8]
NO_MATCH = 1e6
TRAIL = 64  # centre points kept per track for line and zone rules
# Labels a detector confuses for one object (NanoDet calls one van "truck", then "car"): boxes
# of these may continue each other's tracks. Any other pair never matches.
SAME_OBJECT = (frozenset({"car", "truck", "bus"}),)


def compatible(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in SAME_OBJECT)


class TrackerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    high_score: float = Field(
        0.5, gt=0, le=1, description="Boxes at or above this start tracks and match first."
    )
    match_iou: float = Field(
        0.2, gt=0, le=1, description="Least overlap between prediction and box to match."
    )
    min_hits: int = Field(3, ge=1, description="Matches before a track is confirmed.")
    max_missed: int = Field(
        20, ge=0, description="Frames a confirmed track may go unmatched before it ends."
    )
    snapshot_margin: float = Field(
        0.15, ge=0, le=1, description="Context kept around the best snapshot (box fraction)."
    )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The best view of a tracked object so far: where, how good, and (if frames were given)
    a copy of that part of the frame."""

    detection: Detection
    frame_index: int
    quality: float
    image: Frame | None


@dataclass(eq=False)
class Track:
    id: int
    label: str
    filter: BoxKalman
    score: float
    first_frame: int
    last_frame: int
    hits: int = 1
    missed: int = 0
    confirmed: bool = False
    best: Snapshot | None = None
    trail: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=TRAIL))

    @property
    def box(self) -> Box:
        return self.filter.box

    @property
    def age(self) -> int:
        """Frames since the track started."""
        return self.last_frame - self.first_frame + self.missed


@dataclass(frozen=True, slots=True)
class TrackerUpdate:
    """Confirmed tracks matched in this frame, and confirmed tracks that just ended."""

    active: tuple[Track, ...]
    ended: tuple[Track, ...]


def snapshot_quality(box: Box, score: float, frame_size: tuple[int, int] | None) -> float:
    """Bigger and more confident is better; a box cut by the frame edge counts half."""
    quality = score * float(np.sqrt(box.area))
    if frame_size is not None:
        width, height = frame_size
        if box.x1 <= 1 or box.y1 <= 1 or box.x2 >= width - 1 or box.y2 >= height - 1:
            quality *= 0.5
    return quality


class Tracker:
    """One per camera stream; call ``update`` once per analysed frame, in order."""

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.settings = settings or TrackerSettings()
        self.tracks: list[Track] = []
        self._next_id = 1
        self._frame_index = -1

    def update(self, detections: Detections, frame: Frame | None = None) -> TrackerUpdate:
        """Advance one frame. ``frame`` (optional) is used to cut the best snapshot."""
        self._frame_index += 1
        for track in self.tracks:
            track.filter.predict()
        dets = list(detections)
        high = [d for d in dets if d.score >= self.settings.high_score]
        low = [d for d in dets if d.score < self.settings.high_score]
        unmatched_high = self._match(self.tracks, high, frame)
        waiting = [t for t in self.tracks if t.last_frame != self._frame_index]
        self._match(waiting, low, frame)  # ByteTrack: weak boxes may only extend tracks
        for det in unmatched_high:
            self._start(det, frame)
        return self._retire()

    def _match(
        self, tracks: Sequence[Track], dets: Sequence[Detection], frame: Frame | None
    ) -> list[Detection]:
        """Assign ``dets`` to ``tracks`` by IoU; update matched tracks, return the rest."""
        if not tracks or not dets:
            return list(dets)
        cost = np.full((len(tracks), len(dets)), NO_MATCH)
        for i, track in enumerate(tracks):
            predicted = track.box
            for j, det in enumerate(dets):
                overlap = predicted.iou(det.box)
                if compatible(det.label, track.label) and overlap >= self.settings.match_iou:
                    cost[i, j] = 1.0 - overlap
        used: set[int] = set()
        for i, j in linear_sum_assignment(cost):
            if cost[i, j] < NO_MATCH:
                self._hit(tracks[i], dets[j], frame)
                used.add(j)
        return [d for j, d in enumerate(dets) if j not in used]

    def _hit(self, track: Track, det: Detection, frame: Frame | None) -> None:
        track.filter.update(det.box)
        track.score = det.score
        track.hits += 1
        track.missed = 0
        track.last_frame = self._frame_index
        track.confirmed = track.confirmed or track.hits >= self.settings.min_hits
        track.trail.append(det.box.center)
        self._consider_snapshot(track, det, frame)

    def _start(self, det: Detection, frame: Frame | None) -> None:
        track = Track(
            id=self._next_id,
            label=det.label,
            filter=BoxKalman(det.box),
            score=det.score,
            first_frame=self._frame_index,
            last_frame=self._frame_index,
            confirmed=self.settings.min_hits <= 1,
        )
        self._next_id += 1
        track.trail.append(det.box.center)
        self._consider_snapshot(track, det, frame)
        self.tracks.append(track)

    def _consider_snapshot(self, track: Track, det: Detection, frame: Frame | None) -> None:
        size = None if frame is None else (frame.shape[1], frame.shape[0])
        quality = snapshot_quality(det.box, det.score, size)
        if track.best is not None and track.best.quality >= quality:
            return
        image = None
        if frame is not None:
            pad = self.settings.snapshot_margin * max(det.box.width, det.box.height)
            b = det.box.padded(pad, frame.shape[1], frame.shape[0])
            image = frame[int(b.y1) : int(np.ceil(b.y2)), int(b.x1) : int(np.ceil(b.x2))].copy()
        track.best = Snapshot(det, self._frame_index, quality, image)

    def _retire(self) -> TrackerUpdate:
        active: list[Track] = []
        ended: list[Track] = []
        kept: list[Track] = []
        for track in self.tracks:
            if track.last_frame == self._frame_index:
                kept.append(track)
                if track.confirmed:
                    active.append(track)
                continue
            track.missed += 1
            if track.confirmed and track.missed <= self.settings.max_missed:
                kept.append(track)
            elif track.confirmed:
                ended.append(track)
        self.tracks = kept
        return TrackerUpdate(tuple(active), tuple(ended))

    def finish(self) -> tuple[Track, ...]:
        """End every confirmed track (stream stopped); returns them."""
        ended = tuple(t for t in self.tracks if t.confirmed)
        self.tracks = []
        return ended
