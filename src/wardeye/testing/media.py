"""Locate the footage prepared by scripts/prepare_media.py, and read the clock clip's counter.

Tests and benchmarks ask for clips by name so a missing file fails with the fix (run
scripts/setup) instead of a confusing decoder error.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

MEDIA_ENV = "WARDEYE_MEDIA_DIR"

# Binary frame counter burned into clock_720p.mp4; must match scripts/prepare_media.py
# (tests/unit/test_media.py decodes the real clip to prove it does).
CLOCK_BITS = 16
CLOCK_SQUARE = 32
CLOCK_PITCH = 40
CLOCK_MARGIN = 16
CLOCK_BAND = 64


class MediaMissingError(FileNotFoundError):
    """A prepared clip is absent: the machine was not set up (or the media dir is wrong)."""


def repo_root() -> Path:
    """The checkout this package runs from (src layout, editable install)."""
    here = Path(__file__).resolve()
    src = here.parents[2]
    if src.name != "src":
        raise MediaMissingError(
            f"wardeye is not running from a source checkout ({here}); set {MEDIA_ENV} to the "
            "directory prepared by scripts/prepare_media.py"
        )
    return src.parent


def media_dir() -> Path:
    """$WARDEYE_MEDIA_DIR if set, else <repo root>/.media (where scripts/setup puts it)."""
    configured = os.environ.get(MEDIA_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    return repo_root() / ".media"


def media_file(name: str) -> Path:
    """Path of a prepared clip such as "vtest.mp4"; raises with the fix when it is missing."""
    path = media_dir() / name
    if not path.is_file():
        raise MediaMissingError(
            f"media file {path} is missing: run scripts/setup (or `python "
            f"scripts/prepare_media.py --media-dir {path.parent}`), or set {MEDIA_ENV}"
        )
    return path


def read_clock_counter(frame: npt.NDArray[np.uint8]) -> int:
    """Frame number encoded in a decoded clock_720p frame (H x W or H x W x C, any channels).

    Each bit is a square on the black band at the bottom-left, most significant first; a
    square is set when its centre is brighter than mid-grey, which survives H.264 compression.
    """
    gray = frame if frame.ndim == 2 else frame.mean(axis=2)
    top = frame.shape[0] - CLOCK_BAND + (CLOCK_BAND - CLOCK_SQUARE) // 2
    quarter = CLOCK_SQUARE // 4
    value = 0
    for i in range(CLOCK_BITS):
        left = CLOCK_MARGIN + i * CLOCK_PITCH
        centre = gray[
            top + quarter : top + CLOCK_SQUARE - quarter,
            left + quarter : left + CLOCK_SQUARE - quarter,
        ]
        value = (value << 1) | int(float(centre.mean()) > 128.0)
    return value
