"""Rules that turn tracks in zones and across lines into events: intrusion, loitering,
gathering, line crossing (with direction and counts), speeding and street racing.

Pure logic over (time, tracks) so it can be driven by any frame source. Events that last
(someone loitering) are opened with ``RuleEvent`` and closed by ``RuleEnd`` with the same key;
instant ones (a crossing) come as a ``RuleEvent`` whose ``end`` is already set.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from wardeye.analytics.zones import Point, ZoneSpec, crossing, inside

CROSSING_MEMORY = timedelta(seconds=60)  # a speed trap's second line must come within this
GATHER_GRACE = timedelta(seconds=3)  # a crowd thinning out for a moment is still one crowd


@dataclass(frozen=True, slots=True)
class TrackState:
    """A confirmed track in this frame: box in 0-1 coordinates of the frame."""

    id: int
    label: str
    box: tuple[float, float, float, float]
    score: float

    @property
    def foot(self) -> Point:
        return ((self.box[0] + self.box[2]) / 2.0, self.box[3])


@dataclass(frozen=True, slots=True)
class RuleEvent:
    key: str
    kind: str
    start: datetime
    end: datetime | None
    label: str | None = None
    zone: str | None = None
    track_id: int | None = None
    confidence: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    boxes: tuple[tuple[float, float, float, float], ...] = ()  # drawn on the snapshot


@dataclass(frozen=True, slots=True)
class RuleEnd:
    key: str
    end: datetime
    details: dict[str, Any] = field(default_factory=dict)


RuleOutput = RuleEvent | RuleEnd


def parse_schedule(spans: Sequence[str]) -> list[tuple[time, time]]:
    """'22:00-05:00' → (22:00, 05:00); a span may wrap past midnight."""
    parsed = []
    for span in spans:
        first, _, second = span.partition("-")
        parsed.append((time.fromisoformat(first.strip()), time.fromisoformat(second.strip())))
    return parsed


def armed(spans: Sequence[tuple[time, time]], local: time) -> bool:
    if not spans:
        return True
    for begin, finish in spans:
        if begin <= finish and begin <= local < finish:
            return True
        if begin > finish and (local >= begin or local < finish):
            return True
    return False


@dataclass
class _ZoneState:
    spec: ZoneSpec
    schedule: list[tuple[time, time]]
    entered: dict[int, datetime] = field(default_factory=dict)
    open_keys: dict[int, set[str]] = field(default_factory=dict)
    crowd_since: datetime | None = None
    crowd_last_seen: datetime | None = None
    crowd_open: str | None = None
    crowd_peak: int = 0
    forward: int = 0
    backward: int = 0


class RuleEngine:
    """One per camera. Call ``update`` once per analysed frame with the confirmed tracks."""

    def __init__(self, zones: Sequence[ZoneSpec], timezone: str = "UTC") -> None:
        self._tz = ZoneInfo(timezone)
        self._zones = {
            z.name: _ZoneState(z, parse_schedule(z.settings.schedule))
            for z in zones
            if z.settings.mask == "none"
        }
        self._last: dict[int, Point] = {}
        self._crossed: dict[tuple[str, int], datetime] = {}  # (line, track) → when
        self._speeders: deque[tuple[datetime, int, str]] = deque()
        self._racing_until: datetime | None = None
        self._serial = 0

    def counts(self) -> dict[str, dict[str, int]]:
        """Crossings per line so far, by direction."""
        return {
            name: {"forward": z.forward, "backward": z.backward}
            for name, z in self._zones.items()
            if z.spec.kind == "line"
        }

    def update(
        self, at: datetime, tracks: Sequence[TrackState], ended: Sequence[int] = ()
    ) -> list[RuleOutput]:
        out: list[RuleOutput] = []
        local = at.astimezone(self._tz).time()
        for zone in self._zones.values():
            wanted = [t for t in tracks if t.label in zone.spec.settings.labels]
            if zone.spec.kind == "polygon":
                self._polygon(zone, at, local, wanted, out)
            else:
                self._line(zone, at, wanted, out)
        for track in tracks:
            self._last[track.id] = track.foot
        for track_id in ended:
            out.extend(self._forget(track_id, at))
        self._expire(at)
        return out

    def finish(self, at: datetime) -> list[RuleOutput]:
        """Close every open event (the stream stopped)."""
        out: list[RuleOutput] = []
        for track_id in list(self._last):
            out.extend(self._forget(track_id, at))
        for zone in self._zones.values():
            if zone.crowd_open is not None:
                out.append(RuleEnd(zone.crowd_open, at, {"peak": zone.crowd_peak}))
                zone.crowd_open = None
        return out

    # -- polygons -----------------------------------------------------------------------------

    def _polygon(
        self,
        zone: _ZoneState,
        at: datetime,
        local: time,
        tracks: Sequence[TrackState],
        out: list[RuleOutput],
    ) -> None:
        s = zone.spec.settings
        present = [t for t in tracks if inside(t.foot, zone.spec.points)]
        outside = {t.id for t in tracks} - {t.id for t in present}
        # A track missing from this frame (occluded, missed) has not left: only a track seen
        # outside, or one that ended, leaves the zone.
        for track_id in [i for i in zone.entered if i in outside]:
            del zone.entered[track_id]
            for key in zone.open_keys.pop(track_id, set()):
                out.append(RuleEnd(key, at, {"left": True}))
        for track in present:
            if track.id not in zone.entered:
                zone.entered[track.id] = at
                if s.intrusion and armed(zone.schedule, local):
                    self._open(zone, track, "intrusion", at, out)
            stayed = (at - zone.entered[track.id]).total_seconds()
            keys = zone.open_keys.get(track.id, set())
            loitering = any(k.startswith("loitering:") for k in keys)
            if s.loiter_seconds is not None and stayed >= s.loiter_seconds and not loitering:
                details = {"seconds": round(stayed, 1)}
                self._open(zone, track, "loitering", zone.entered[track.id], out, details)
        if s.gather_count is not None:
            self._crowd(zone, at, present, out)

    def _open(
        self,
        zone: _ZoneState,
        track: TrackState,
        kind: str,
        start: datetime,
        out: list[RuleOutput],
        details: dict[str, Any] | None = None,
    ) -> None:
        key = self._key(kind, zone.spec.name)
        zone.open_keys.setdefault(track.id, set()).add(key)
        out.append(
            RuleEvent(
                key,
                kind,
                start,
                None,
                track.label,
                zone.spec.name,
                track.id,
                track.score,
                details or {},
                (track.box,),
            )
        )

    def _crowd(
        self, zone: _ZoneState, at: datetime, present: Sequence[TrackState], out: list[RuleOutput]
    ) -> None:
        s = zone.spec.settings
        assert s.gather_count is not None
        if len(present) >= s.gather_count:
            zone.crowd_since = zone.crowd_since or at
            zone.crowd_last_seen = at
            zone.crowd_peak = max(zone.crowd_peak, len(present))
            held = (at - zone.crowd_since).total_seconds()
            if zone.crowd_open is None and held >= s.gather_seconds:
                zone.crowd_open = self._key("gathering", zone.spec.name)
                out.append(
                    RuleEvent(
                        zone.crowd_open,
                        "gathering",
                        zone.crowd_since,
                        None,
                        present[0].label,
                        zone.spec.name,
                        None,
                        min(t.score for t in present),
                        {"count": len(present)},
                        tuple(t.box for t in present),
                    )
                )
            return
        if zone.crowd_last_seen is not None and at - zone.crowd_last_seen < GATHER_GRACE:
            return
        if zone.crowd_open is not None:
            out.append(
                RuleEnd(zone.crowd_open, zone.crowd_last_seen or at, {"peak": zone.crowd_peak})
            )
        zone.crowd_open = zone.crowd_since = zone.crowd_last_seen = None
        zone.crowd_peak = 0

    # -- lines --------------------------------------------------------------------------------

    def _line(
        self, zone: _ZoneState, at: datetime, tracks: Sequence[TrackState], out: list[RuleOutput]
    ) -> None:
        s = zone.spec.settings
        a, b = zone.spec.points[0], zone.spec.points[1]
        for track in tracks:
            before = self._last.get(track.id)
            if before is None:
                continue
            step = crossing(before, track.foot, a, b)
            if step == 0:
                continue
            direction = "forward" if step > 0 else "backward"
            if direction == "forward":
                zone.forward += 1
            else:
                zone.backward += 1
            counted = s.direction in ("both", direction)
            if counted and s.count:
                out.append(
                    RuleEvent(
                        self._key("line_crossing", zone.spec.name),
                        "line_crossing",
                        at,
                        at,
                        track.label,
                        zone.spec.name,
                        track.id,
                        track.score,
                        {
                            "direction": direction,
                            "forward": zone.forward,
                            "backward": zone.backward,
                        },
                        (track.box,),
                    )
                )
            self._speed(zone, at, track, out)

    def _speed(
        self, zone: _ZoneState, at: datetime, track: TrackState, out: list[RuleOutput]
    ) -> None:
        """A track crossing both lines of a speed trap (either order) gets a speed."""
        self._crossed[(zone.spec.name, track.id)] = at
        for other in self._zones.values():
            s = other.spec.settings
            if s.speed_to is None or s.distance_m is None:
                continue
            if zone.spec.name == other.spec.name:
                partner = s.speed_to
            elif zone.spec.name == s.speed_to:
                partner = other.spec.name
            else:
                continue
            then = self._crossed.get((partner, track.id))
            if then is None or then == at:
                continue
            seconds = abs((at - then).total_seconds())
            if seconds <= 0:
                continue
            kmh = s.distance_m / seconds * 3.6
            self._crossed.pop((partner, track.id), None)
            self._crossed.pop((zone.spec.name, track.id), None)
            if kmh <= s.speed_limit_kmh:
                continue
            out.append(
                RuleEvent(
                    self._key("speeding", other.spec.name),
                    "speeding",
                    min(at, then),
                    at,
                    track.label,
                    other.spec.name,
                    track.id,
                    track.score,
                    {"speed_kmh": round(kmh, 1), "limit_kmh": s.speed_limit_kmh},
                    (track.box,),
                )
            )
            if track.label in s.racing_labels:
                self._racing(other, at, track, out)

    def _racing(
        self, trap: _ZoneState, at: datetime, track: TrackState, out: list[RuleOutput]
    ) -> None:
        s = trap.spec.settings
        window = timedelta(seconds=s.racing_window_seconds)
        self._speeders.append((at, track.id, trap.spec.name))
        while self._speeders and at - self._speeders[0][0] > window:
            self._speeders.popleft()
        racers = {tid for _, tid, name in self._speeders if name == trap.spec.name}
        if len(racers) < s.racing_count:
            return
        if self._racing_until is not None and at < self._racing_until:
            return
        self._racing_until = at + window
        first = min(t for t, _, name in self._speeders if name == trap.spec.name)
        out.append(
            RuleEvent(
                self._key("street_racing", trap.spec.name),
                "street_racing",
                first,
                at,
                track.label,
                trap.spec.name,
                None,
                track.score,
                {"vehicles": len(racers), "tracks": sorted(racers)},
                (track.box,),
            )
        )

    # -- housekeeping -------------------------------------------------------------------------

    def _forget(self, track_id: int, at: datetime) -> list[RuleOutput]:
        out: list[RuleOutput] = []
        self._last.pop(track_id, None)
        for zone in self._zones.values():
            zone.entered.pop(track_id, None)
            for key in zone.open_keys.pop(track_id, set()):
                out.append(RuleEnd(key, at, {"track_ended": True}))
        return out

    def _expire(self, at: datetime) -> None:
        for key, when in list(self._crossed.items()):
            if at - when > CROSSING_MEMORY:
                del self._crossed[key]

    def _key(self, kind: str, zone: str) -> str:
        self._serial += 1
        return f"{kind}:{zone}:{self._serial}"
