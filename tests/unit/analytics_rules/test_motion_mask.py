"""A zone with ``mask: exclude`` hides its area from motion, so nothing there is detected or
tracked (trees, a road outside the area); the rest of the picture is still watched."""

from __future__ import annotations

import av

from wardeye.analytics.analyser import CameraAnalyser
from wardeye.analytics.detectors import build_detector
from wardeye.analytics.zones import ZoneSettings, ZoneSpec, inside
from wardeye.config.detectors import NanoDetSettings
from wardeye.testing.media import media_file

from .conftest import at, models_dir

RIGHT_HALF = ((0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0))


def feet(zones: list[ZoneSpec]) -> list[tuple[float, float]]:
    analyser = CameraAnalyser(build_detector(NanoDetSettings(), models_dir()), zones)
    found = []
    with av.open(str(media_file("vtest.mp4"))) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index >= 300:
                break
            if index % 2 == 0:
                result = analyser.process(frame.to_ndarray(format="bgr24"), at(index))
                found += [t.foot for t in result.tracks]
    return found


def test_excluded_area_yields_no_tracks() -> None:
    masked = feet([ZoneSpec("road", "polygon", RIGHT_HALF, ZoneSettings(mask="exclude"))])
    plain = feet([])
    assert sum(inside(p, RIGHT_HALF) for p in plain) > 50  # people walk there
    assert sum(not inside(p, RIGHT_HALF) for p in masked) > 50  # the left is still watched
    # a box crossing the mask edge may keep its foot just inside: allow a sliver
    assert sum(p[0] > 0.55 for p in masked) == 0
