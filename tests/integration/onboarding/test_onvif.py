"""ONVIF onboarding. No ONVIF camera exists here, so: discovery runs in a private network
namespace (probes never reach a real network) against the WSDiscovery package's own publisher;
the "no ONVIF" answers come from real non-ONVIF servers; profile parsing runs onvif-zeep's real
WSDL client against a small responder serving camera-style XML (see onvif_responder.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from onvif_responder import CameraSpec, OnvifResponder, Profile

from wardeye.ingest.onvif import (
    NoOnvif,
    OnvifAuthFailed,
    choose_streams,
    describe_device,
    with_credentials,
)
from wardeye.ingest.probe import probe
from wardeye.testing.rtsp_server import RtspSimulator

HERE = Path(__file__).parent
PASSWORD = "Mật-khẩu-9"


def run_discovery_in_namespace(*args: str) -> dict[str, Any]:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.fail(
            "ONVIF discovery tests run in a private network namespace (unshare -n) so no probe "
            "leaves this machine; that needs root and util-linux unshare (CI runs as root)"
        )
    result = subprocess.run(
        ["unshare", "-n", sys.executable, str(HERE / "netns_discovery.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_discovery_with_nobody_answering_returns_nothing_in_bounded_time() -> None:
    out = run_discovery_in_namespace("--timeout", "1.5")
    assert out["devices"] == []
    assert 1.4 < out["seconds"] < 5


def test_discovery_lists_a_camera_announced_by_a_real_ws_discovery_publisher() -> None:
    xaddr = "http://10.213.0.1:8899/onvif/device_service"
    out = run_discovery_in_namespace("--publish", xaddr, "--timeout", "2")
    assert len(out["devices"]) == 1
    device = out["devices"][0]
    assert device["xaddrs"] == [xaddr] and device["host"] == "10.213.0.1"
    assert device["name"] == "Camera Chợ Bến Thành"
    assert device["hardware"] == "DS-2CD1023G0-I"
    assert device["location"] == "city/hochiminh"
    assert device["endpoint"].startswith("urn:uuid:")


@pytest.fixture
def onvif_camera(rtsp_server_session: RtspSimulator) -> Iterator[OnvifResponder]:
    sim = rtsp_server_session
    spec = CameraSpec(
        user="admin",
        password=PASSWORD,
        profiles=[  # sub listed first on purpose: the choice must not rely on order
            Profile("Profile_2", "subStream", 768, 576, 10, 1024, sim.url("vtest")),
            Profile("Profile_1", "mainStream", 1920, 1080, 25, 4096, sim.url("cam1080")),
        ],
    )
    responder = OnvifResponder(spec)
    yield responder
    responder.close()


@pytest.mark.rtsp
def test_profiles_and_stream_uris_lead_to_a_recordable_stream(
    onvif_camera: OnvifResponder, rtsp_server_session: RtspSimulator
) -> None:
    device = describe_device("127.0.0.1", onvif_camera.port, "admin", PASSWORD, timeout=5)

    assert device.model == "DS-2CD1023G0-I" and device.manufacturer == "WardEye Test"
    assert [p.name for p in device.profiles] == ["subStream", "mainStream"]
    main = device.profiles[1]
    assert (main.encoding, main.width, main.height, main.fps, main.bitrate_kbps) == (
        "H264", 1920, 1080, 25.0, 4096,
    )  # fmt: skip
    assert device.main_uri == rtsp_server_session.url("cam1080")
    assert device.sub_uri == rtsp_server_session.url("vtest")
    assert {"GetCapabilities", "GetProfiles", "GetStreamUri"} <= set(onvif_camera.spec.calls)
    result = probe(device.main_uri)
    assert result.recordable and (result.width, result.height) == (1920, 1080)


def test_wrong_password_is_an_auth_failure(onvif_camera: OnvifResponder) -> None:
    with pytest.raises(OnvifAuthFailed) as failed:
        describe_device("127.0.0.1", onvif_camera.port, "admin", "wrong", timeout=5)
    assert PASSWORD not in str(failed.value) and "wrong" not in str(failed.value)


def test_web_server_without_onvif_says_so(http_server: str) -> None:
    port = int(http_server.rsplit(":", 1)[1])
    with pytest.raises(NoOnvif, match="not with ONVIF SOAP"):
        describe_device("127.0.0.1", port, "admin", PASSWORD, timeout=5)


def test_closed_port_says_no_onvif_quickly(closed_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(NoOnvif, match="connection refused"):
        describe_device("127.0.0.1", closed_port, "admin", PASSWORD, timeout=5)
    assert time.monotonic() - started < 3


def test_silent_device_times_out(silent_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(NoOnvif, match="no ONVIF answer within 2 s"):
        describe_device("127.0.0.1", silent_port, "admin", PASSWORD, timeout=2)
    assert time.monotonic() - started < 6


def test_stream_choice_and_credentials_in_uri() -> None:
    from wardeye.ingest.onvif import OnvifProfile

    def p(token: str, enc: str, w: int, h: int, uri: str | None) -> OnvifProfile:
        return OnvifProfile(token, token, enc, w, h, 25.0, 1000, uri)

    main, sub = choose_streams(
        [
            p("mjpeg", "JPEG", 640, 360, "rtsp://c/mjpeg"),
            p("sub265", "H265", 640, 360, "rtsp://c/s265"),
            p("sub264", "H264", 704, 576, "rtsp://c/s264"),
            p("main", "H265", 2560, 1440, "rtsp://c/main"),
            p("nouri", "H264", 3840, 2160, None),
        ]
    )
    assert main is not None and main.token == "main"
    assert sub is not None and sub.token == "sub264"
    assert choose_streams([p("j", "JPEG", 640, 360, "rtsp://c/j")]) == (None, None)
    url = with_credentials("rtsp://192.168.1.64:554/Streaming/Channels/101", "admin", "a:b@c")
    assert url == "rtsp://admin:a%3Ab%40c@192.168.1.64:554/Streaming/Channels/101"


def test_onvif_import_leaves_the_processes_logging_and_proxy_alone(closed_port: int) -> None:
    code = (
        "import logging, os\n"
        "from wardeye.ingest.onvif import describe_device, NoOnvif\n"
        f"try: describe_device('127.0.0.1', {closed_port})\n"
        "except NoOnvif: pass\n"
        "print(len(logging.getLogger().handlers), logging.getLogger().level,"
        " os.environ.get('http_proxy'))\n"
    )
    env = {**os.environ, "http_proxy": "http://proxy.local:3128"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["0", "30", "http://proxy.local:3128"]


def test_onvif_wsdl_loads_with_no_network_at_all() -> None:
    """onvif-zeep must not fetch schemas at run time: build the device and media clients in a
    network namespace that has no interface but a downed loopback."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.fail("this check runs under `unshare -n` and needs root (CI runs as root)")
    code = (
        "import os, onvif, zeep\n"
        "from zeep import Settings\n"
        "wsdl = os.path.join(os.path.dirname(os.path.dirname(onvif.__file__)), 'wsdl')\n"
        "for name in ('devicemgmt.wsdl', 'media.wsdl'):\n"
        "    zeep.Client(os.path.join(wsdl, name), settings=Settings(strict=False))\n"
        "print('loaded')\n"
    )
    out = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", code],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0 and out.stdout.strip() == "loaded", out.stderr


def test_discovery_then_streams_per_device_with_a_clear_error_for_the_one_without_onvif() -> None:
    out = run_discovery_in_namespace("--with-streams", "--timeout", "2")
    results = out["results"]
    assert len(results) == 2
    closed_xaddr = ["http://127.0.0.1:9/onvif/device_service"]
    (closed,) = [r for r in results if r["found"]["xaddrs"] == closed_xaddr]
    (camera,) = [r for r in results if r is not closed]
    assert closed["device"] is None and "connection refused" in closed["error"]
    assert camera["error"] is None
    assert camera["device"]["main_uri"] == "rtsp://127.0.0.1:554/main"
    assert camera["device"]["sub_uri"] == "rtsp://127.0.0.1:554/sub"
    assert camera["found"]["name"] == "Camera Chợ Bến Thành"
