"""The prepared footage is what the harness promises: right codecs, sizes, real content."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import av
import numpy as np
import pytest

from wardeye.testing.media import (
    MEDIA_ENV,
    MediaMissingError,
    media_dir,
    media_file,
    read_clock_counter,
)

EXPECTED = {
    "vtest.mp4": ("h264", 768, 576, 10.0),
    "vtest_1080p.mp4": ("h264", 1920, 1080, 25.0),
    "vtest_720p_sub.mp4": ("h264", 640, 360, 10.0),
    "testsrc_720p.mp4": ("h264", 1280, 720, 25.0),
    "testsrc_1080p.mp4": ("h264", 1920, 1080, 25.0),
    "testsrc_1080p_hevc.mp4": ("hevc", 1920, 1080, 25.0),
    "clock_720p.mp4": ("h264", 1280, 720, 25.0),
}


def test_media_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(MEDIA_ENV, str(tmp_path))
    assert media_dir() == tmp_path.resolve()
    with pytest.raises(MediaMissingError, match="scripts/setup"):
        media_file("nope.mp4")


def test_default_media_dir_is_in_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEDIA_ENV, raising=False)
    assert media_dir().name == ".media"
    assert (media_dir().parent / "pyproject.toml").is_file()


def test_manifest_matches_the_files() -> None:
    manifest = json.loads(media_file("manifest.json").read_text())
    for name, (codec, width, height, fps) in EXPECTED.items():
        entry = manifest["files"][name]
        assert (entry["codec"], entry["width"], entry["height"]) == (codec, width, height)
        assert entry["fps"] == pytest.approx(fps)
        with av.open(str(media_file(name))) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == codec
            assert (stream.codec_context.width, stream.codec_context.height) == (width, height)
            assert float(container.duration or 0) / 1e6 == pytest.approx(entry["duration"], abs=0.2)


def test_vtest_is_real_footage_with_motion() -> None:
    with av.open(str(media_file("vtest.mp4"))) as container:
        frames = [
            f.to_ndarray(format="gray").astype(np.float32)
            for _, f in zip(range(60), container.decode(video=0), strict=False)
        ]
    assert all(f.std() > 20 for f in frames)  # textured scene, not a flat card
    diffs = [np.abs(a - b).mean() for a, b in itertools.pairwise(frames)]
    assert min(diffs) > 0.2  # people walk in every frame
    assert max(diffs) < 20  # but it is one steady camera view, not noise


def test_clock_counter_reads_the_frame_number() -> None:
    with av.open(str(media_file("clock_720p.mp4"))) as container:
        got = [
            read_clock_counter(f.to_ndarray(format="gray"))
            for _, f in zip(range(300), container.decode(video=0), strict=False)
        ]
    assert got == list(range(300))
