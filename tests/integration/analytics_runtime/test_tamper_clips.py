"""Camera tamper on real footage made tampered with ffmpeg: vtest covered (black), blurred
(gblur) and shifted (cropped and scaled, as a camera turned away) from 8 s on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest

from wardeye.analytics.analyser import CameraAnalyser
from wardeye.analytics.rules import RuleEnd, RuleEvent
from wardeye.analytics.tamper import TamperChange, TamperDetector, TamperSettings
from wardeye.testing.media import media_file

from .clips import TAMPER_AT, tamper_clip

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
HOLD = TamperSettings().hold_seconds


def run(path: Path, seconds: float | None = None) -> list[TamperChange]:
    detector = TamperDetector()
    changes: list[TamperChange] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or 10)
        step = max(1, round(rate / 5))
        for index, frame in enumerate(container.decode(stream)):
            if seconds is not None and index / rate > seconds:
                break
            if index % step == 0:
                at = T0 + timedelta(seconds=index / rate)
                changes += detector.update(frame.to_ndarray(format="bgr24"), at)
    return changes


@pytest.mark.parametrize("kind", ["covered", "defocused", "moved"])
def test_tamper_is_found_when_it_happens(kind: str, clip_dir: Path) -> None:
    changes = run(tamper_clip(media_file("vtest.mp4"), kind, clip_dir))
    assert changes, f"no {kind} found"
    first = changes[0]
    assert first.kind == kind and first.active
    started = (first.at - T0).total_seconds()
    assert TAMPER_AT - 0.01 <= started <= TAMPER_AT + 1.0  # reported from when it began
    assert [c.kind for c in changes if c.active] == [kind]  # and nothing else


def test_untouched_footage_raises_nothing() -> None:
    """80 s of real footage with people walking close to each other: no tamper at all."""
    assert run(media_file("vtest.mp4")) == []


def test_picture_back_to_normal_ends_the_event(clip_dir: Path) -> None:
    """Black from 8 s to 12 s, then the picture again: covered begins, then ends."""
    target = clip_dir / "vtest_covered_briefly.mp4"
    if not target.exists():
        import subprocess

        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-t", "18", "-i", str(media_file("vtest.mp4")),
             "-vf", "drawbox=x=0:y=0:w=iw:h=ih:color=black@1:t=fill:enable='between(t,8,12)'",
             "-c:v", "libx264", "-preset", "veryfast", "-g", "20", str(target)],
            check=True,
        )  # fmt: skip
    changes = run(target)
    assert [(c.kind, c.active) for c in changes] == [("covered", True), ("covered", False)]
    assert 11.5 <= (changes[1].at - T0).total_seconds() <= 13.0


def test_analyser_opens_and_closes_tamper_events_and_stops_tracking(
    clip_dir: Path, nanodet: object
) -> None:
    from wardeye.analytics.detectors import Detector

    assert isinstance(nanodet, Detector)
    analyser = CameraAnalyser(nanodet)
    opened: list[RuleEvent] = []
    tracks_after = 0
    with av.open(str(tamper_clip(media_file("vtest.mp4"), "covered", clip_dir))) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % 2:
                continue
            at = T0 + timedelta(seconds=index / 10)
            result = analyser.process(frame.to_ndarray(format="bgr24"), at)
            opened += [o for o in result.outputs if isinstance(o, RuleEvent)]
            if index / 10 > TAMPER_AT + HOLD + 0.5:
                tracks_after += len(result.tracks)
    assert [e.kind for e in opened] == ["tamper_covered"]
    assert opened[0].end is None
    assert tracks_after == 0
    ends = analyser.finish(at)
    assert any(isinstance(e, RuleEnd) and e.key == opened[0].key for e in ends)
