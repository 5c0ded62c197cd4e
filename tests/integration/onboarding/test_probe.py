"""Probing cameras before they are added: real streams from the GStreamer RTSP simulator, real
clips over Python's HTTP server, and the failures an admin meets in the field (wrong password,
wrong path, closed port, unknown host, a web server instead of a camera, a silent port)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from onboarding_helpers import make_clip

from wardeye.ingest.probe import (
    AuthenticationFailed,
    CameraUnreachable,
    NotAVideoStream,
    ProbeError,
    ProbeTimeout,
    StreamNotFound,
    probe,
)
from wardeye.testing.media import media_file
from wardeye.testing.rtsp_fixtures import SimulatorFactory
from wardeye.testing.rtsp_server import RtspSimulator

pytestmark = pytest.mark.rtsp
SECRET = "Mật-khẩu-S3cret"


def test_real_cctv_footage_over_rtsp(rtsp_server_session: RtspSimulator) -> None:
    result = probe(rtsp_server_session.url("vtest"))
    assert (result.codec, result.width, result.height) == ("h264", 768, 576)
    assert result.fps == pytest.approx(10.0)
    assert result.keyframe_interval_s == pytest.approx(2.0, abs=0.15)
    assert result.bitrate_bps is not None and 600_000 < result.bitrate_bps < 1_600_000
    assert result.profile == "High" and not result.has_audio
    assert result.recordable and result.reasons == () and result.warnings == ()
    assert result.sampled_seconds >= 3.0


def test_1080p_main_stream_bitrate_is_measured(rtsp_server_session: RtspSimulator) -> None:
    result = probe(rtsp_server_session.url("cam1080"))
    assert (result.width, result.height, result.fps) == (1920, 1080, 25.0)
    assert result.bitrate_bps is not None and 3_000_000 < result.bitrate_bps < 6_000_000
    assert result.packets >= 75


def test_h265_is_recordable_with_a_live_view_warning(rtsp_server_session: RtspSimulator) -> None:
    result = probe(rtsp_server_session.url("hevc"))
    assert result.codec == "hevc" and result.recordable
    assert any("H.265" in w and "live" in w for w in result.warnings)


def test_wrong_or_missing_password_is_a_401_and_never_shown(
    rtsp_simulator_factory: SimulatorFactory,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    sim = rtsp_simulator_factory({"cam": media_file("vtest.mp4")}, auth={"cam": ("admin", SECRET)})
    with pytest.raises(AuthenticationFailed) as wrong:
        probe(sim.url("cam", "admin", SECRET + "x"))
    with pytest.raises(AuthenticationFailed):
        probe(sim.url("cam"))
    ok = probe(sim.url("cam", "admin", SECRET))

    assert "401" in str(wrong.value) and "***@" in str(wrong.value)
    assert wrong.value.__cause__ is None and wrong.value.__suppress_context__
    assert ok.recordable and "***@" in ok.url
    captured = capfd.readouterr()
    for text in (str(wrong.value), ok.url, caplog.text, captured.out, captured.err):
        assert SECRET not in text and "admin" not in text


def test_wrong_path_is_not_found(rtsp_server_session: RtspSimulator) -> None:
    with pytest.raises(StreamNotFound, match="404"):
        probe(rtsp_server_session.base_url + "no-such-stream")


def test_closed_port_and_unknown_host_are_unreachable(closed_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(CameraUnreachable, match="refused"):
        probe(f"rtsp://admin:{SECRET}@127.0.0.1:{closed_port}/main")
    with pytest.raises(CameraUnreachable, match="not found") as unknown:
        probe(f"rtsp://admin:{SECRET}@camera.invalid/main")
    assert time.monotonic() - started < 5
    assert SECRET not in str(unknown.value)


def test_a_web_server_is_not_a_camera(http_server: str) -> None:
    port = http_server.rsplit(":", 1)[1]
    with pytest.raises(NotAVideoStream):
        probe(f"rtsp://127.0.0.1:{port}/stream1")
    with pytest.raises(NotAVideoStream):
        probe(f"{http_server}/index.html")


def test_silent_port_times_out_within_the_limit(silent_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(ProbeTimeout):
        probe(f"rtsp://127.0.0.1:{silent_port}/main", timeout=2)
    assert 1.5 < time.monotonic() - started < 4.5


def test_mjpeg_camera_is_not_recordable(http_server: str, web_dir: Path) -> None:
    make_clip(
        web_dir / "mjpeg.avi",
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=10", "-t", "4", "-c:v", "mjpeg",
    )  # fmt: skip
    result = probe(f"{http_server}/mjpeg.avi")
    assert result.codec == "mjpeg" and not result.recordable
    assert any("MJPEG" in r and "H.264" in r for r in result.reasons)


def test_long_keyframe_interval_and_audio_are_reported(http_server: str, web_dir: Path) -> None:
    make_clip(
        web_dir / "gop5.mp4",
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi",
        "-i", "sine=frequency=440", "-t", "12", "-c:v", "libx264", "-preset", "ultrafast",
        "-g", "125", "-keyint_min", "125", "-sc_threshold", "0", "-c:a", "aac", "-shortest",
        "-movflags", "+faststart",
    )  # fmt: skip
    result = probe(f"{http_server}/gop5.mp4")
    assert result.recordable and result.has_audio and result.audio_codec == "aac"
    assert result.keyframe_interval_s == pytest.approx(5.0, abs=0.1)
    assert any("keyframe only every 5.0 s" in w for w in result.warnings)


def test_audio_only_is_not_a_video_stream(http_server: str, web_dir: Path) -> None:
    make_clip(web_dir / "talk.m4a", "-f", "lavfi", "-i", "sine=frequency=300", "-t", "2")
    with pytest.raises(NotAVideoStream, match="no video track"):
        probe(f"{http_server}/talk.m4a")
    assert issubclass(NotAVideoStream, ProbeError)
