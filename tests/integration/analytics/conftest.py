"""Real footage (vtest.avi from Debian's opencv-doc), the hand annotations drawn on it, and the
detector models prepared by scripts/prepare_models.py."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from wardeye.testing.media import media_file, repo_root

Frame = npt.NDArray[np.uint8]
ANNOTATIONS = Path(__file__).with_name("vtest_annotations.json")
MODELS_ENV = "WARDEYE_MODELS_DIR"


def iter_frames(path: Path, stop: int) -> Iterator[tuple[int, Frame]]:
    """Frames 0..stop-1 of a clip, in decode order, as BGR arrays."""
    capture = cv2.VideoCapture(str(path))
    try:
        for index in range(stop):
            ok, frame = capture.read()
            if not ok:
                raise AssertionError(f"{path} ended at frame {index}, wanted {stop}")
            yield index, frame
    finally:
        capture.release()


@pytest.fixture(scope="session")
def vtest_path() -> Path:
    return media_file("vtest.avi")


FrameSource = Callable[[int], Iterator[tuple[int, Frame]]]


@pytest.fixture(scope="session")
def vtest_frames(vtest_path: Path) -> FrameSource:
    """Call with ``stop`` to stream frames 0..stop-1 of vtest.avi (not kept in memory)."""
    return lambda stop: iter_frames(vtest_path, stop)


@pytest.fixture(scope="session")
def annotations() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ANNOTATIONS.read_text())
    return data


@pytest.fixture(scope="session")
def annotated_frames(vtest_path: Path, annotations: dict[str, Any]) -> dict[int, Frame]:
    wanted = {int(k) for k in annotations["frames"]}
    return {i: f for i, f in iter_frames(vtest_path, max(wanted) + 1) if i in wanted}


@pytest.fixture(scope="session")
def models_dir() -> Path:
    configured = os.environ.get(MODELS_ENV)
    path = Path(configured) if configured else repo_root() / ".models"
    if not (path / "manifest.json").is_file():
        pytest.fail(
            f"detector models are missing in {path}: run "
            f"`python scripts/prepare_models.py --models-dir {path}` (or scripts/setup)"
        )
    return path
