"""Browser tests: a real WardEye (recorder + web server) on the RTSP simulator, driven through
Debian's Chromium by Playwright. Missing Chromium or simulator fails the tests (never skips)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wardeye_harness import Site, build_site, launch_chromium, standard_mounts

from wardeye.testing.rtsp_fixtures import start_simulator
from wardeye.testing.rtsp_server import RtspSimulator

SCREENSHOTS_ENV = "WARDEYE_SCREENSHOTS"


@pytest.fixture(scope="module")
def simulator(media: Path) -> Iterator[RtspSimulator]:
    sim = start_simulator(standard_mounts(media))
    yield sim
    sim.close()


@pytest.fixture(scope="module")
def site(simulator: RtspSimulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    running = build_site(tmp_path_factory.mktemp("site") / "data", simulator)
    try:
        running.serve()
        running.wait_online()
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = launch_chromium(playwright)
        except Exception as exc:
            pytest.fail(f"Chromium could not start ({exc}); run scripts/setup", pytrace=False)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $WARDEYE_SCREENSHOTS, else a temporary folder."""
    wanted = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
