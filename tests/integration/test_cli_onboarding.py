"""`wardeye camera probe` against real servers. (Discovery sends multicast, so it is tested
only inside a network namespace of its own: tests/integration/onboarding.)"""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from wardeye.cli import app
from wardeye.testing.rtsp_server import RtspSimulator


@pytest.mark.rtsp
def test_probe_reports_a_recordable_camera(rtsp_server: RtspSimulator) -> None:
    result = CliRunner().invoke(app, ["camera", "probe", rtsp_server.url("cam720")])
    assert result.exit_code == 0, result.output
    assert "h264" in result.output
    assert "1280x720" in result.output
    assert "recordable" in result.output and "yes" in result.output


@pytest.mark.rtsp
def test_probe_wrong_credentials_are_explained_without_leaking_them(
    rtsp_simulator_factory,  # type: ignore[no-untyped-def]
) -> None:
    sim = rtsp_simulator_factory({"cam": "test:320x240"}, auth={"cam": ("admin", "right")})
    url = sim.url("cam", user="admin", password="Wr0ngPass")
    result = CliRunner().invoke(app, ["camera", "probe", url, "--timeout", "8"])
    assert result.exit_code == 1
    assert "Wr0ngPass" not in result.output
    assert "cannot probe" in result.output


def test_probe_unreachable_host_fails_fast() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(
        app, ["camera", "probe", f"rtsp://u:p@127.0.0.1:{port}/x", "--timeout", "3"]
    )
    assert result.exit_code == 1
    assert "cannot probe" in result.output
    assert "u:p@" not in result.output
