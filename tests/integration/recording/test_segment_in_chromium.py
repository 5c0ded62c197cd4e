"""A recorded segment plays on its own in Chromium (`<video src>` over HTTP with Range
requests): the right duration and size, playback advances, seeking near the end works. A
segment salvaged after a crash plays too."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from wardeye.ingest.packets import MediaPacket, StreamInfo, ticks_to_delta
from wardeye.ingest.sources import Connection, SourceOptions
from wardeye.ingest.timestamps import TimestampNormalizer
from wardeye.recording.inspect import salvage
from wardeye.recording.segment_file import SegmentWriter
from wardeye.testing.media import media_file

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--autoplay-policy=no-user-gesture-required"]  # fmt: skip
T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files with HTTP Range support, as the playback API must."""

    def send_head(self) -> Any:
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        handle = open(path, "rb")  # noqa: SIM115 - closed by the base class
        match = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if match:
            first = int(match.group(1))
            last = int(match.group(2)) if match.group(2) else size - 1
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            handle.seek(first)
            self.remaining = last - first + 1
        else:
            self.send_response(200)
            self.remaining = size
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(self.remaining))
        self.end_headers()
        return handle

    def copyfile(self, source: Any, outputfile: Any) -> None:
        left = self.remaining
        while left > 0:
            chunk = source.read(min(65536, left))
            if not chunk:
                return
            try:
                outputfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                return
            left -= len(chunk)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    handler = functools.partial(RangeHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def write_segment(root: Path, seconds: float) -> Path:
    conn = Connection(str(media_file("testsrc_720p.mp4")), SourceOptions())
    norm = TimestampNormalizer()
    packets = []
    with conn:
        for raw in conn.packets():
            st = norm.push(raw.pts, raw.dts)
            if st is None:
                continue
            if st.dts >= seconds * 90_000:
                break
            packets.append(MediaPacket(raw.data, st.pts, st.dts, st.duration, raw.keyframe,
                                       T0 + ticks_to_delta(st.dts)))  # fmt: skip
        info = StreamInfo(1, "main", conn.codec, conn.width, conn.height, conn.fps, b"", "x", 1)
    writer = SegmentWriter(root, info, packets[0])
    for packet in packets:
        writer.write(packet)
    return writer.finish(T0, T0 + timedelta(seconds=seconds), None).path


PLAY = """async (url) => {
  const v = document.createElement('video');
  v.muted = true; v.src = url; document.body.appendChild(v);
  await new Promise((ok, fail) => {
    v.onloadedmetadata = ok;
    v.onerror = () => fail(String(v.error && v.error.message));
    setTimeout(() => fail('timeout'), 8000);
  });
  const duration = v.duration;
  await v.play(); await new Promise(r => setTimeout(r, 1200));
  const played = v.currentTime;
  v.currentTime = duration - 1;
  await new Promise(r => { v.onseeked = r; setTimeout(r, 4000); });
  return {duration, width: v.videoWidth, height: v.videoHeight, played, sought: v.currentTime};
}"""


def test_segments_play_in_chromium(served: tuple[Path, str]) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run scripts/setup")
    root, base = served
    whole = write_segment(root / "rec", 10)
    cut = root / "cut.mp4"
    shutil.copy(whole, cut)
    os.truncate(cut, int(cut.stat().st_size * 0.75))  # a crash at 3/4 of the file
    facts = salvage(cut)
    assert facts is not None
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            page.set_content("<html><body></body></html>")
            for path, seconds in ((whole, 10.0), (cut, facts.duration)):
                url = f"{base}/{path.relative_to(root).as_posix()}"
                result = page.evaluate(PLAY, url)
                assert result["duration"] == pytest.approx(seconds, abs=0.1), result
                assert (result["width"], result["height"]) == (1280, 720)
                assert result["played"] > 0.5  # it really plays
                assert result["sought"] == pytest.approx(seconds - 1, abs=0.3)
        finally:
            browser.close()
