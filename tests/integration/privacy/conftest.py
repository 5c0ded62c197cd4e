"""One real site per test module: the simulator with vtest footage and a household camera
mount per case, the recorder, and the web server (the tests talk to it over HTTP and
WebSockets like a browser)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from privacy_site import ADMIN, ADMIN_PASSWORD, PUBLIC_CAMERAS, privacy_mounts
from wardeye_harness import Site, build_site

from wardeye.registry.schemas import UserCreate
from wardeye.testing.rtsp_fixtures import start_simulator
from wardeye.testing.rtsp_server import RtspSimulator


@pytest.fixture(scope="module")
def simulator(media: Path) -> Iterator[RtspSimulator]:
    sim = start_simulator(privacy_mounts(media))
    yield sim
    sim.close()


@pytest.fixture(scope="module")
def site(simulator: RtspSimulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    running = build_site(
        tmp_path_factory.mktemp("site") / "data", simulator, PUBLIC_CAMERAS, segment_seconds=2.0
    )
    try:
        running.wardeye.users.add(UserCreate(username=ADMIN, password=ADMIN_PASSWORD, role="admin"))
        running.serve()
        running.wait_online()
        yield running
    finally:
        running.close()
