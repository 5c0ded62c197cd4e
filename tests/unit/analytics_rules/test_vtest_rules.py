"""Intrusion, loitering, gathering, speeding and street racing driven by the tracks NanoDet and
the tracker found in real footage (vtest). Each rule is checked against what the tracks show
(who was where, for how long) and against settings under which it must stay silent."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from wardeye.analytics.rules import RuleEnd
from wardeye.analytics.zones import inside

from .conftest import TrackedFrame
from .replay import line, polygon, replay

PATH = [(0.05, 0.25), (0.98, 0.25), (0.98, 0.80), (0.05, 0.80)]  # the whole walkway
EAST = [(0.55, 0.30), (0.98, 0.30), (0.98, 0.75), (0.55, 0.75)]  # its right part


def inside_counts(frames: list[TrackedFrame], area: list[tuple[float, float]]) -> list[int]:
    return [sum(1 for t in f.tracks if inside(t.foot, area)) for f in frames]


def test_intrusion_only_while_armed(vtest_tracks: list[TrackedFrame]) -> None:
    """The clip runs at 10:00 Hà Nội time: armed 09:00-11:00 it alarms, armed at night not."""
    armed, ends, _ = replay([polygon("east", EAST, intrusion=True, schedule=("09:00-11:00",))],
                            vtest_tracks)  # fmt: skip
    entered = {
        t.id for f in vtest_tracks for t in f.tracks if inside(t.foot, EAST) and t.label == "person"
    }
    intrusions = [e for _, e in armed if e.kind == "intrusion"]
    assert {e.track_id for e in intrusions} == entered
    assert all(e.label == "person" and e.zone == "east" and e.end is None for e in intrusions)
    assert all(e.confidence is not None and e.confidence >= 0.4 for e in intrusions)
    closed = {e.key for e in ends}
    assert all(e.key in closed for e in intrusions)  # each ends when the person leaves
    night, _, _ = replay([polygon("east", EAST, intrusion=True, schedule=("22:00-05:00",))],
                         vtest_tracks)  # fmt: skip
    assert night == []


def test_loitering_after_the_threshold_only(vtest_tracks: list[TrackedFrame]) -> None:
    started, ends, _ = replay([polygon("path", PATH, loiter_seconds=8)], vtest_tracks)
    loiterers = [(i, e) for i, e in started if e.kind == "loitering"]
    assert loiterers, "people stand and walk on this path for more than 8 s"
    first_seen: dict[int, datetime] = {}
    for frame in vtest_tracks:
        for t in frame.tracks:
            if inside(t.foot, PATH):
                first_seen.setdefault(t.id, frame.at)
    for index, event in loiterers:
        assert event.track_id is not None
        raised_at = vtest_tracks[[f.index for f in vtest_tracks].index(index)].at
        assert (raised_at - event.start).total_seconds() >= 8
        assert event.start >= first_seen[event.track_id]
    assert {e.key for _, e in loiterers} <= {e.key for e in ends}
    clip_seconds = (vtest_tracks[-1].at - vtest_tracks[0].at).total_seconds()
    silent, _, _ = replay([polygon("path", PATH, loiter_seconds=clip_seconds + 1)], vtest_tracks)
    assert silent == []


def test_gathering_of_n_people_for_t_seconds(vtest_tracks: list[TrackedFrame]) -> None:
    counts = inside_counts(vtest_tracks, PATH)
    most = max(counts)
    assert most >= 4
    started, ends, _ = replay(
        [polygon("path", PATH, gather_count=3, gather_seconds=3)], vtest_tracks
    )
    crowds = [(i, e) for i, e in started if e.kind == "gathering"]
    assert crowds
    for index, event in crowds:
        assert event.details["count"] >= 3 and event.track_id is None
        # at least 3 people were inside during the 3 s before the event was raised
        held = [
            c for f, c in zip(vtest_tracks, counts, strict=True)
            if event.start <= f.at and f.index <= index
        ]  # fmt: skip
        assert (vtest_tracks[[f.index for f in vtest_tracks].index(index)].at - event.start
                ).total_seconds() >= 3  # fmt: skip
        assert held[0] >= 3 and held[-1] >= 3
        run = longest = 0
        for count in held:  # thinning out for under GATHER_GRACE (3 s) is still one crowd
            run = run + 1 if count < 3 else 0
            longest = max(longest, run)
        assert longest < 3 * 5
    assert all(isinstance(e, RuleEnd) for e in ends)
    none, _, _ = replay(
        [polygon("path", PATH, gather_count=most + 1, gather_seconds=1)], vtest_tracks
    )
    assert none == []


def test_speed_trap_between_two_calibrated_lines(vtest_tracks: list[TrackedFrame]) -> None:
    """Lines 0.22 of the width apart on the walkway, said to be 5 m apart: walkers come out at
    walking speeds. Over a 3 km/h limit they are speeding; under 30 km/h nobody is."""
    trap = [
        line("west", [(0.45, 0.17), (0.45, 0.83)], speed_to="east", distance_m=5.0,
             speed_limit_kmh=3.0),
        line("east", [(0.6706, 0.17), (0.6706, 0.83)]),
    ]  # fmt: skip
    started, _, _ = replay(trap, vtest_tracks)
    speeding = [e for _, e in started if e.kind == "speeding"]
    assert len(speeding) >= 5
    for event in speeding:
        assert event.zone == "west" and event.end is not None
        seconds = (event.end - event.start).total_seconds()
        assert abs(event.details["speed_kmh"] - 5.0 / seconds * 3.6) < 0.2
        assert 3.0 < event.details["speed_kmh"] < 20.0  # people walk, they do not drive
    by_track: defaultdict[int, int] = defaultdict(int)
    for event in speeding:
        assert event.track_id is not None
        by_track[event.track_id] += 1
    slow = [line("west", [(0.45, 0.17), (0.45, 0.83)], speed_to="east", distance_m=5.0,
                 speed_limit_kmh=30.0), trap[1]]  # fmt: skip
    assert [e for _, e in replay(slow, vtest_tracks)[0] if e.kind == "speeding"] == []


def test_street_racing_is_several_fast_ones_together(vtest_tracks: list[TrackedFrame]) -> None:
    """vtest has no motorbikes, so the racing labels are set to people for this check: two
    'fast' walkers within 10 s make a racing event, a group of 20 never does."""

    def trap(count: int) -> list[object]:
        return [
            line("west", [(0.45, 0.17), (0.45, 0.83)], speed_to="east", distance_m=5.0,
                 speed_limit_kmh=3.0, racing_count=count, racing_window_seconds=10.0,
                 racing_labels=("person",)),
            line("east", [(0.6706, 0.17), (0.6706, 0.83)]),
        ]  # fmt: skip

    started, _, _ = replay(trap(2), vtest_tracks)  # type: ignore[arg-type]
    racing = [e for _, e in started if e.kind == "street_racing"]
    speeding = [e for _, e in started if e.kind == "speeding"]
    assert racing
    for event in racing:
        assert event.details["vehicles"] >= 2 and event.end is not None
        assert (event.end - event.start).total_seconds() <= 10.0
        near = [s for s in speeding if abs((s.end - event.end).total_seconds()) <= 10.0]  # type: ignore[operator]
        assert len({s.track_id for s in near}) >= 2
    crowd, _, _ = replay(trap(20), vtest_tracks)  # type: ignore[arg-type]
    assert not [e for _, e in crowd if e.kind == "street_racing"]
    default_labels = [
        line("west", [(0.45, 0.17), (0.45, 0.83)], speed_to="east", distance_m=5.0,
             speed_limit_kmh=3.0, racing_count=2),
        line("east", [(0.6706, 0.17), (0.6706, 0.83)]),
    ]  # fmt: skip
    assert not [e for _, e in replay(default_labels, vtest_tracks)[0] if e.kind == "street_racing"]
