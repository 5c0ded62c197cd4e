"""Drive a RuleEngine with the tracks recorded from real footage."""

from __future__ import annotations

from collections.abc import Sequence

from wardeye.analytics.rules import RuleEnd, RuleEngine, RuleEvent
from wardeye.analytics.zones import ZoneSettings, ZoneSpec

from .conftest import TrackedFrame


def replay(
    zones: Sequence[ZoneSpec], frames: Sequence[TrackedFrame], timezone: str = "Asia/Ho_Chi_Minh"
) -> tuple[list[tuple[int, RuleEvent]], list[RuleEnd], RuleEngine]:
    engine = RuleEngine(zones, timezone)
    started: list[tuple[int, RuleEvent]] = []
    ended: list[RuleEnd] = []
    for frame in frames:
        for output in engine.update(frame.at, frame.tracks, frame.ended):
            if isinstance(output, RuleEvent):
                started.append((frame.index, output))
            else:
                ended.append(output)
    for output in engine.finish(frames[-1].at):
        if isinstance(output, RuleEnd):
            ended.append(output)
    return started, ended, engine


def line(name: str, points: Sequence[Sequence[float]], **settings: object) -> ZoneSpec:
    a, b = points
    return ZoneSpec(name, "line", ((a[0], a[1]), (b[0], b[1])), ZoneSettings(**settings))


def polygon(name: str, points: Sequence[tuple[float, float]], **settings: object) -> ZoneSpec:
    return ZoneSpec(name, "polygon", tuple(points), ZoneSettings(**settings))
