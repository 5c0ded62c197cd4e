"""Zone geometry and schedules: the small pieces every rule stands on."""

from __future__ import annotations

from datetime import time

import pytest

from wardeye.analytics.rules import armed, parse_schedule
from wardeye.analytics.zones import crossing, inside

SQUARE = [(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)]


@pytest.mark.parametrize(
    ("point", "expected"),
    [((0.5, 0.5), True), ((0.1, 0.5), False), ((0.5, 0.9), False), ((0.79, 0.21), True)],
)
def test_inside(point: tuple[float, float], expected: bool) -> None:
    assert inside(point, SQUARE) is expected


def test_crossing_direction_and_segment_ends() -> None:
    a, b = (0.5, 0.2), (0.5, 0.8)  # drawn downwards: its right is the image's left
    assert crossing((0.6, 0.5), (0.4, 0.5), a, b) == 1  # right to left of the image: forward
    assert crossing((0.4, 0.5), (0.6, 0.5), a, b) == -1
    assert crossing((0.6, 0.9), (0.4, 0.9), a, b) == 0  # below the drawn segment
    assert crossing((0.6, 0.5), (0.5, 0.5), a, b) == 0  # touching is not crossing
    assert crossing((0.6, 0.5), (0.55, 0.5), a, b) == 0


def test_schedule_wraps_midnight() -> None:
    night = parse_schedule(["22:00-05:00"])
    assert armed(night, time(23, 30)) and armed(night, time(4, 59))
    assert not armed(night, time(5, 0)) and not armed(night, time(12, 0))
    assert armed([], time(12, 0))
    day = parse_schedule(["08:00-17:30", "19:00-20:00"])
    assert armed(day, time(17, 29)) and armed(day, time(19, 30)) and not armed(day, time(18, 0))
