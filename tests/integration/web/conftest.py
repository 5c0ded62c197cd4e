"""Fixtures for the web/live/playback integration tests: a real WardEye recording real RTSP
streams from the GStreamer simulator (see tests/e2e/wardeye_harness.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "e2e"))

from wardeye_harness import PASSWORD, USER, Site, build_site, standard_mounts

from wardeye.testing.rtsp_fixtures import start_simulator
from wardeye.testing.rtsp_server import RtspSimulator


@pytest.fixture(scope="module")
def simulator(media: Path) -> Iterator[RtspSimulator]:
    sim = start_simulator(standard_mounts(media))
    yield sim
    sim.close()


@pytest.fixture(scope="module")
def site(simulator: RtspSimulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    running = build_site(tmp_path_factory.mktemp("site") / "data", simulator)
    try:
        running.wait_online()
        yield running
    finally:
        running.close()


__all__ = ["PASSWORD", "USER", "simulator", "site"]
