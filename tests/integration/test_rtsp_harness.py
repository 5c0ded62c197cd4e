"""The RTSP camera simulator behaves like real cameras: right streams, real footage, real-time
pacing, seamless loops, going down and coming back, and basic auth."""

from __future__ import annotations

import itertools
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import av
import av.container
import numpy as np
import pytest

from wardeye.testing.rtsp_fixtures import SimulatorFactory
from wardeye.testing.rtsp_server import RtspSimulator, RtspSimulatorError

pytestmark = pytest.mark.rtsp


def open_rtsp(url: str) -> av.container.InputContainer:
    return av.open(url, options={"rtsp_transport": "tcp"}, timeout=(5, 5))


def frames(container: av.container.InputContainer, count: int) -> Iterator[av.VideoFrame]:
    return itertools.islice(container.decode(video=0), count)


@pytest.mark.parametrize(
    ("mount", "codec", "size"),
    [
        ("vtest", "h264", (768, 576)),
        ("cam720", "h264", (1280, 720)),
        ("cam1080", "h264", (1920, 1080)),
        ("synthetic", "h264", (640, 360)),
        ("hevc", "hevc", (1920, 1080)),
    ],
)
def test_mount_decodes_at_its_resolution(
    rtsp_server_session: RtspSimulator, mount: str, codec: str, size: tuple[int, int]
) -> None:
    with open_rtsp(rtsp_server_session.url(mount)) as container:
        assert container.streams.video[0].codec_context.name == codec
        decoded = list(frames(container, 5))
    assert len(decoded) == 5
    assert {(f.width, f.height) for f in decoded} == {size}


def test_vtest_serves_real_moving_footage(rtsp_server_session: RtspSimulator) -> None:
    with open_rtsp(rtsp_server_session.url("vtest")) as container:
        grey = [f.to_ndarray(format="gray").astype(np.float32) for f in frames(container, 12)]
    assert min(g.std() for g in grey) > 20, "a textured scene, not a flat test card"
    steps = [float(np.abs(a - b).mean()) for a, b in itertools.pairwise(grey)]
    assert min(steps) > 0.2, "people move between consecutive frames"
    assert max(steps) < 20, "one steady camera view, not noise"


def test_frames_arrive_in_real_time(rtsp_server_session: RtspSimulator) -> None:
    """125 frames of a 25 fps camera take about 5 s: the server paces the looped file."""
    started = time.monotonic()
    with open_rtsp(rtsp_server_session.url("cam720")) as container:
        stream = container.streams.video[0]
        dts: list[int] = []
        for packet in container.demux(stream):
            if packet.dts is not None and packet.size:
                dts.append(packet.dts)
            if len(dts) > 125:
                break
    wall = time.monotonic() - started
    # wall includes the RTSP handshake (~1 s); a flooding server would finish in well under 5 s
    assert 4.6 <= wall <= 8.0, f"5 s of video took {wall:.2f} s"
    assert float((dts[-1] - dts[0]) * stream.time_base) == pytest.approx(5.0, abs=0.05)


def read_until_closed(url: str, outcome: dict[str, float | str]) -> None:
    try:
        with open_rtsp(url) as container:
            for _ in container.demux(video=0):
                outcome.setdefault("reading", time.monotonic())
        outcome["end"] = "eof"
    except av.error.FFmpegError as exc:
        outcome["end"] = type(exc).__name__
    outcome["ended_at"] = time.monotonic()


def test_stop_stream_takes_camera_down_and_start_brings_it_back(
    rtsp_server: RtspSimulator,
) -> None:
    outcome: dict[str, float | str] = {}
    reader = threading.Thread(target=read_until_closed, args=(rtsp_server.url("cam720"), outcome))
    reader.start()
    deadline = time.monotonic() + 10
    while "reading" not in outcome and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "reading" in outcome, "reader never received packets"

    stopped_at = time.monotonic()
    assert rtsp_server.stop_stream("cam720").startswith("OK stop cam720")
    reader.join(timeout=10)
    assert not reader.is_alive(), "open reader did not notice the camera going down"
    assert float(outcome["ended_at"]) - stopped_at < 3.0
    with pytest.raises(av.error.HTTPNotFoundError):
        open_rtsp(rtsp_server.url("cam720"))
    with open_rtsp(rtsp_server.url("synthetic")) as other:  # other cameras are unaffected
        assert next(frames(other, 1)).width == 640

    rtsp_server.start_stream("cam720")
    with open_rtsp(rtsp_server.url("cam720")) as container:
        assert next(frames(container, 1)).width == 1280


@pytest.mark.parametrize("b_frames", [0, 2])
def test_loops_have_continuous_timestamps(
    rtsp_simulator_factory: SimulatorFactory, tmp_path: Path, b_frames: int
) -> None:
    """A 1.6 s clip read for 4 s crosses the loop twice with no jump or decode gap."""
    clip = tmp_path / "short.mp4"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
         "-i", "testsrc2=size=320x240:rate=25", "-t", "1.6", "-c:v", "libx264",
         "-preset", "veryfast", "-g", "20", "-bf", str(b_frames), "-pix_fmt", "yuv420p",
         str(clip)],
        check=True,
    )  # fmt: skip
    sim = rtsp_simulator_factory({"short": clip})
    with open_rtsp(sim.url("short")) as container:
        pts = [f.pts for f in frames(container, 100) if f.pts is not None]
    steps = {b - a for a, b in itertools.pairwise(pts)}
    assert len(pts) >= 99
    assert steps == {90000 // 25}, f"frame timestamps jump: {sorted(steps)}"


def test_basic_auth_is_enforced(rtsp_simulator_factory: SimulatorFactory, media: Path) -> None:
    sim = rtsp_simulator_factory(
        {"private": media / "vtest_720p_sub.mp4", "public": "test:320x240"},
        auth={"private": ("officer", "s3cret pass")},
    )
    with pytest.raises(av.error.HTTPUnauthorizedError):
        open_rtsp(sim.url("private"))
    with pytest.raises(av.error.HTTPUnauthorizedError):
        open_rtsp(sim.url("private", "officer", "wrong"))
    with open_rtsp(sim.url("private", "officer", "s3cret pass")) as container:
        assert next(frames(container, 1)).width == 640
    with open_rtsp(sim.url("public")) as container:
        assert next(frames(container, 1)).width == 320


def test_bad_clip_fails_with_the_servers_reason(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 100)
    with pytest.raises(RtspSimulatorError, match=r"junk\.mp4"):
        RtspSimulator({"cam": junk}, startup_timeout=10).start()
    with pytest.raises(RtspSimulatorError, match="python3-gi"):
        RtspSimulator({"cam": "test:320x240"}, python=str(tmp_path / "no-python")).start()
