"""pytest fixtures: prepared footage and a real RTSP camera simulator.

A simulator that cannot start fails the test (locally as in CI): skipping would hide a broken
machine setup, and the fix (run scripts/setup) is in the message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from wardeye.testing.media import MediaMissingError, media_dir, media_file
from wardeye.testing.rtsp_server import MountSource, RtspSimulator, RtspSimulatorError

__all__ = ["media", "rtsp_server", "rtsp_server_session", "rtsp_simulator_factory"]

SimulatorFactory = Callable[..., RtspSimulator]


def standard_mounts() -> dict[str, MountSource]:
    """The cameras every suite can rely on: real footage, 720p/1080p, live synthetic, H.265."""
    return {
        "vtest": media_file("vtest.mp4"),  # real CCTV footage, 768x576 10 fps
        "cam720": media_file("testsrc_720p.mp4"),  # 1280x720 25 fps 2 Mbit/s
        "cam1080": media_file("testsrc_1080p.mp4"),  # 1920x1080 25 fps 4 Mbit/s
        "synthetic": "test:640x360",  # live videotestsrc + x264enc
        "hevc": media_file("testsrc_1080p_hevc.mp4"),  # H.265 1920x1080 25 fps
    }


def start_simulator(
    mounts: Mapping[str, MountSource] | None = None,
    auth: Mapping[str, tuple[str, str]] | None = None,
) -> RtspSimulator:
    """Start a simulator or fail the test with the reason and the fix."""
    try:
        return RtspSimulator(standard_mounts() if mounts is None else mounts, auth=auth).start()
    except (MediaMissingError, RtspSimulatorError) as exc:
        pytest.fail(f"RTSP camera simulator unavailable: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def media() -> Path:
    """Directory of the clips made by scripts/prepare_media.py (checked to exist)."""
    try:
        media_file("manifest.json")
    except MediaMissingError as exc:
        pytest.fail(str(exc), pytrace=False)
    return media_dir()


@pytest.fixture
def rtsp_server() -> Iterator[RtspSimulator]:
    """A fresh simulator for one test (safe to stop/start streams): see standard_mounts()."""
    sim = start_simulator()
    yield sim
    sim.close()


@pytest.fixture(scope="session")
def rtsp_server_session() -> Iterator[RtspSimulator]:
    """One simulator shared by the session; do not stop its streams (use rtsp_server)."""
    sim = start_simulator()
    yield sim
    sim.close()


@pytest.fixture
def rtsp_simulator_factory() -> Iterator[SimulatorFactory]:
    """Start simulators with custom mounts/auth: ``factory({"cam": path}, auth={...})``."""
    started: list[RtspSimulator] = []

    def factory(
        mounts: Mapping[str, MountSource], auth: Mapping[str, tuple[str, str]] | None = None
    ) -> RtspSimulator:
        sim = start_simulator(mounts, auth)
        started.append(sim)
        return sim

    yield factory
    for sim in started:
        sim.close()
