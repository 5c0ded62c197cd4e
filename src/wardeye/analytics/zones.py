"""Zones and lines drawn on a camera (0-1 coordinates) and the rule settings they carry.

An object's position is the bottom centre of its box (where it stands), so a person walking
past a zone's edge with only their head inside it does not count as inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Point = tuple[float, float]
VEHICLES = ("bicycle", "motorbike", "car", "bus", "truck")


class ZoneSettings(BaseModel):
    """What to watch for in a zone or on a line (stored as the zone's settings JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: tuple[str, ...] = Field(("person",), description="Object labels the rules count.")
    mask: Literal["none", "exclude"] = Field(
        "none", description="exclude: motion here is ignored (trees, a road outside the area)."
    )
    intrusion: bool = Field(False, description="Raise an event when an object enters.")
    schedule: tuple[str, ...] = Field(
        (),
        description='Local times the intrusion rule is armed, e.g. "22:00-05:00"; empty: always.',
    )
    loiter_seconds: float | None = Field(
        None, gt=0, description="Raise an event when one object stays longer than this."
    )
    gather_count: int | None = Field(
        None, ge=2, description="Raise an event when at least this many objects are inside..."
    )
    gather_seconds: float = Field(10.0, ge=0, description="...for at least this long.")
    count: bool = Field(True, description="Line: raise an event for every crossing.")
    direction: Literal["both", "forward", "backward"] = Field(
        "both",
        description="Line: which crossings count. forward = from the left of the line (looking "
        "from its first point to its second) to its right.",
    )
    speed_to: str | None = Field(
        None, description="Line: name of the second line of a speed trap that starts here."
    )
    distance_m: float | None = Field(
        None, gt=0, description="Speed trap: measured distance between the two lines, metres."
    )
    speed_limit_kmh: float = Field(50.0, gt=0, description="Speed trap: faster is speeding.")
    racing_count: int = Field(
        3, ge=2, description="Speed trap: this many speeding motorbikes together is racing..."
    )
    racing_window_seconds: float = Field(10.0, gt=0, description="...within this many seconds.")
    racing_labels: tuple[str, ...] = Field(
        ("motorbike",), description="Speed trap: labels that count for street racing."
    )


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    name: str
    kind: Literal["polygon", "line"]
    points: tuple[Point, ...]
    settings: ZoneSettings


def inside(point: Point, polygon: Sequence[Point]) -> bool:
    """Even-odd ray casting."""
    x, y = point
    result = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            cross_x = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < cross_x:
                result = not result
    return result


def side(point: Point, a: Point, b: Point) -> float:
    """> 0 right of a→b (image y grows downward), < 0 left, 0 on the line."""
    return (b[0] - a[0]) * (point[1] - a[1]) - (b[1] - a[1]) * (point[0] - a[0])


def crossing(before: Point, after: Point, a: Point, b: Point) -> int:
    """+1 when the step before→after crosses segment a-b left to right, -1 right to left,
    0 when it does not cross (touching the line does not count until the object is past it)."""
    s1, s2 = side(before, a, b), side(after, a, b)
    if s1 == 0 or s2 == 0 or (s1 > 0) == (s2 > 0):
        return 0
    t1, t2 = side(a, before, after), side(b, before, after)
    if (t1 > 0) == (t2 > 0) and t1 != 0 and t2 != 0:
        return 0  # crossed the infinite line outside the drawn segment
    return 1 if s2 > 0 else -1
