"""People detected and tracked on real footage against hand-drawn boxes, and the line-crossing
count against a hand count (tests/unit/analytics_rules/vtest_line_crossings.json)."""

from __future__ import annotations

from typing import Any

from wardeye.analytics.evaluation import MatchCounts, match
from wardeye.analytics.types import Box, Detection

from .conftest import TrackedFrame
from .replay import line, replay

MATCH_FRAMES = 8  # an automatic crossing within 0.8 s of a hand-counted one, same direction


def test_people_tracked_in_annotated_frames(
    vtest_tracks: list[TrackedFrame], person_boxes: dict[str, Any]
) -> None:
    """Confirmed person tracks vs hand boxes on frames 50/150/300/550 (IoU >= 0.3). People
    standing still are invisible to motion gating by design, so they count as 'ignore'."""
    width, height = person_boxes["frame_size"]
    by_index = {f.index: f for f in vtest_tracks}
    total = MatchCounts(0, 0, 0)
    for key, truth in person_boxes["frames"].items():
        frame = by_index[int(key)]
        tracked = [
            Detection(Box(t.box[0] * width, t.box[1] * height, t.box[2] * width,
                          t.box[3] * height), t.label, t.score)
            for t in frame.tracks if t.label == "person"
        ]  # fmt: skip
        people = [Box(*b) for b in truth["person"]]
        ignore = [Box(*b) for b in truth["person_hard"]]
        total = total + match(tracked, people, 0.3, ignore)
    print(f"tracked people: P {total.precision:.2f} R {total.recall:.2f} ({total})")
    assert total.precision >= 0.85
    assert total.recall >= 0.6


def test_line_crossing_count_matches_hand_count(
    vtest_tracks: list[TrackedFrame], hand_crossings: dict[str, Any]
) -> None:
    started, _, engine = replay([line("path", hand_crossings["line"])], vtest_tracks)
    auto = [(i, e.details["direction"]) for i, e in started if e.kind == "line_crossing"]
    warm = hand_crossings["warmup_frames"]
    truth = [(c["frame"], c["direction"]) for c in hand_crossings["crossings"]]
    scored = [c for c in truth if c[0] >= warm]
    taken = [False] * len(scored)
    hits = 0
    for frame, direction in auto:
        for k, (hand_frame, hand_direction) in enumerate(scored):
            close = abs(hand_frame - frame) <= MATCH_FRAMES and hand_direction == direction
            if close and not taken[k]:
                taken[k] = True
                hits += 1
                break
    precision = hits / len(auto)
    recall = hits / len(scored)
    counts = engine.counts()["path"]
    print(
        f"line crossings: hand {len(truth)} ({len(scored)} after the {warm}-frame warm-up), "
        f"automatic {len(auto)} (forward {counts['forward']}, backward {counts['backward']}), "
        f"matched {hits}: P {precision:.2f} R {recall:.2f}"
    )
    assert counts["forward"] + counts["backward"] == len(auto)
    assert precision >= 0.85
    assert recall >= 0.75
    assert abs(len(auto) - len(scored)) <= 0.25 * len(scored)


def test_direction_filter_counts_one_way_only(
    vtest_tracks: list[TrackedFrame], hand_crossings: dict[str, Any]
) -> None:
    both, _, _ = replay([line("path", hand_crossings["line"])], vtest_tracks)
    forward, _, engine = replay(
        [line("path", hand_crossings["line"], direction="forward")], vtest_tracks
    )
    assert forward and all(e.details["direction"] == "forward" for _, e in forward)
    assert len(forward) == sum(1 for _, e in both if e.details["direction"] == "forward")
    assert engine.counts()["path"]["backward"] > 0  # still counted, just no events
