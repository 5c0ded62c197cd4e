"""Real tracks from real footage: vtest.mp4 decoded with PyAV at 5 fps and run once through
motion → NanoDet on motion regions → tracker (the worker's own CameraAnalyser). Rules are then
driven by those tracks, so every rule test rests on what the detector really saw."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import pytest

from wardeye.analytics.analyser import CameraAnalyser
from wardeye.analytics.detectors import build_detector
from wardeye.analytics.rules import TrackState
from wardeye.config.detectors import NanoDetSettings
from wardeye.testing.media import media_file, repo_root

CLIP_FPS = 10
STEP = 2  # every 2nd frame of a 10 fps clip: 5 analysed frames per second
T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội
CROSSINGS = Path(__file__).with_name("vtest_line_crossings.json")
ANNOTATIONS = repo_root() / "tests" / "integration" / "analytics" / "vtest_annotations.json"


def at(frame: int) -> datetime:
    return T0 + timedelta(seconds=frame / CLIP_FPS)


@dataclass(frozen=True)
class TrackedFrame:
    index: int
    at: datetime
    tracks: tuple[TrackState, ...]
    ended: tuple[int, ...]


def models_dir() -> Path:
    configured = os.environ.get("WARDEYE_MODELS_DIR")
    path = Path(configured) if configured else repo_root() / ".models"
    if not (path / "nanodet-m-416.onnx").is_file():
        pytest.fail(f"no NanoDet model in {path}: run scripts/prepare_models.py")
    return path


@pytest.fixture(scope="session")
def vtest_tracks() -> list[TrackedFrame]:
    analyser = CameraAnalyser(build_detector(NanoDetSettings(), models_dir()))
    frames: list[TrackedFrame] = []
    with av.open(str(media_file("vtest.mp4"))) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % STEP:
                continue
            image = frame.to_ndarray(format="bgr24")
            before = {t.id for t in analyser.tracker.tracks}
            result = analyser.process(image, at(index))
            after = {t.id for t in analyser.tracker.tracks}
            ended = tuple(sorted(before - after))
            frames.append(TrackedFrame(index, at(index), result.tracks, ended))
    return frames


@pytest.fixture(scope="session")
def hand_crossings() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CROSSINGS.read_text())
    return data


@pytest.fixture(scope="session")
def person_boxes() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ANNOTATIONS.read_text())
    return data
