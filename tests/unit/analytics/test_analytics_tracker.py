"""Tracker behaviour on synthetic box streams, where the truth is known exactly."""

from __future__ import annotations

import numpy as np

from wardeye.analytics.kalman import BoxKalman
from wardeye.analytics.tracker import Tracker, TrackerSettings, snapshot_quality
from wardeye.analytics.types import Box, Detection, Detections


def person(x: float, y: float, score: float = 0.9, w: float = 30, h: float = 80) -> Detection:
    return Detection(Box(x, y, x + w, y + h), "person", score)


def frame(*dets: Detection) -> Detections:
    return Detections(tuple(dets))


def test_kalman_learns_constant_velocity() -> None:
    kf = BoxKalman(Box(0, 0, 30, 80))
    for step in range(1, 15):
        kf.predict()
        kf.update(Box(5 * step, 0, 5 * step + 30, 80))
    assert abs(kf.velocity[0] - 5) < 0.5 and abs(kf.velocity[1]) < 0.5
    kf.predict()
    assert abs(kf.box.x1 - 75) < 2


def test_two_walkers_crossing_keep_their_ids() -> None:
    """Walkers 45 px apart vertically cross horizontally; boxes overlap for a few frames."""
    tracker = Tracker()
    ids_a, ids_b = set(), set()
    for t in range(40):
        a, b = person(10 + 8 * t, 100), person(330 - 8 * t, 145)
        update = tracker.update(frame(a, b))
        for track in update.active:
            if track.box.iou(a.box) > 0.5 and track.box.iou(a.box) > track.box.iou(b.box):
                ids_a.add(track.id)
            elif track.box.iou(b.box) > 0.5:
                ids_b.add(track.id)
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a != ids_b


def test_a_track_is_confirmed_after_min_hits_only() -> None:
    tracker = Tracker(TrackerSettings(min_hits=3))
    assert tracker.update(frame(person(0, 0))).active == ()
    assert tracker.update(frame(person(2, 0))).active == ()
    (track,) = tracker.update(frame(person(4, 0))).active
    assert track.id == 1 and track.hits == 3 and track.confirmed


def test_one_frame_false_alarms_never_become_tracks() -> None:
    tracker = Tracker()
    for t in range(10):
        update = tracker.update(frame(person(40 * t, 300)))  # jumps: never matches
        assert update.active == () and update.ended == ()
    assert len(tracker.tracks) == 1  # only the latest, still tentative


def test_occlusion_gap_is_bridged_and_long_absence_ends_the_track() -> None:
    tracker = Tracker(TrackerSettings(max_missed=5))
    for t in range(5):
        tracker.update(frame(person(5 * t, 0)))
    for _ in range(4):  # hidden behind a lamp post
        assert tracker.update(frame()).ended == ()
    (track,) = tracker.update(frame(person(45, 0))).active  # reappears where predicted
    assert track.id == 1 and track.missed == 0
    ended = []
    for _ in range(7):
        ended.extend(tracker.update(frame()).ended)
    assert [t.id for t in ended] == [1] and tracker.tracks == []


def test_low_score_boxes_extend_tracks_but_never_start_them() -> None:
    tracker = Tracker(TrackerSettings(high_score=0.5))
    for t in range(3):
        tracker.update(frame(person(5 * t, 0, score=0.8)))
    (track,) = tracker.update(frame(person(15, 0, score=0.3), person(300, 300, 0.3))).active
    assert track.id == 1 and track.score == 0.3
    assert len(tracker.tracks) == 1


def test_labels_never_match_across() -> None:
    tracker = Tracker(TrackerSettings(min_hits=1))
    tracker.update(frame(person(0, 0)))
    car = Detection(Box(1, 0, 31, 80), "car", 0.9)
    update = tracker.update(frame(car))
    assert sorted(t.label for t in update.active) == ["car"]
    assert {t.id for t in update.active} == {2}


def test_best_snapshot_prefers_big_confident_uncut_views() -> None:
    image = np.arange(200 * 300 * 3, dtype=np.uint32).reshape(200, 300, 3).astype(np.uint8)
    tracker = Tracker(TrackerSettings(min_hits=1, snapshot_margin=0.0))
    sizes = [(20, 50, 0.9), (30, 75, 0.9), (32, 80, 0.4), (31, 78, 0.9)]
    for i, (w, h, score) in enumerate(sizes):
        tracker.update(frame(person(100 + i, 60, score, w, h)), image)
    (track,) = tracker.tracks
    assert track.best is not None
    assert track.best.frame_index == 3  # 31x78 at 0.9 beats 30x75 at 0.9 and 32x80 at 0.4
    assert track.best.image is not None and track.best.image.shape == (78, 31, 3)
    np.testing.assert_array_equal(track.best.image, image[60:138, 103:134])
    inside = snapshot_quality(Box(10, 10, 40, 90), 0.9, (300, 200))
    cut = snapshot_quality(Box(0, 10, 30, 90), 0.9, (300, 200))
    assert cut == inside / 2


def test_finish_ends_confirmed_tracks() -> None:
    tracker = Tracker(TrackerSettings(min_hits=2))
    for t in range(3):
        tracker.update(frame(person(5 * t, 0), person(200, 5 * t)))
    assert sorted(t.id for t in tracker.finish()) == [1, 2]
    assert tracker.tracks == []


def test_vehicle_labels_a_detector_confuses_continue_one_track() -> None:
    tracker = Tracker(TrackerSettings(min_hits=1))
    tracker.update(frame(Detection(Box(0, 0, 60, 40), "truck", 0.9)))
    update = tracker.update(frame(Detection(Box(2, 0, 62, 40), "car", 0.9)))
    assert [(t.id, t.label) for t in update.active] == [(1, "truck")]
