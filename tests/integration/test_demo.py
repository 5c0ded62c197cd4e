"""`wardeye demo` as a person runs it: a real process serving the API and the camera page."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from wardeye.testing.media import media_dir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, str, str, Path]]:
    port = _free_port()
    env = {**os.environ, "WARDEYE_MEDIA_DIR": str(media_dir())}
    env.pop("WARDEYE_CONFIG", None)
    data = tmp_path / "demo"
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("wardeye")), "demo", "--port", str(port),
         "--data-dir", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    url = password = None
    while time.monotonic() < deadline and proc.poll() is None:
        line = proc.stdout.readline()
        lines.append(line)
        found = re.search(r"Open (http://\S+) and log in as (\S+) / (\S+)", line)
        if found:
            url, user, password = found.groups()
            break
    try:
        assert url and password, "demo did not print its URL:\n" + "".join(lines)
        for _ in range(100):
            try:
                httpx.get(url + "api/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, user, password, data
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_demo_serves_api_and_camera_page(demo: tuple[str, str, str, Path]) -> None:
    url, user, password, data = demo
    assert url.startswith("http://127.0.0.1:")
    assert httpx.get(url + "api/health").json()["status"] == "ok"
    with httpx.Client(base_url=url, follow_redirects=True) as client:
        assert "/login" in str(client.get("/").url)
        page = client.post("/login", data={"username": user, "password": password})
        assert page.status_code == 200
        for name in ("Ngã tư Lê Lợi – Nguyễn Huệ", "Chợ Bến Thành – cổng Tây", "Phường Bến Nghé"):
            assert name in page.text
        cameras = client.get("/api/cameras").json()
        assert len(cameras) == 4
        assert all(c["main_url"].startswith("file://") for c in cameras)
    assert (data / "catalog.sqlite3").exists()


def test_demo_records_its_cameras(demo: tuple[str, str, str, Path]) -> None:
    """The demo cameras are recorded like any camera: segments on disk, health online."""
    url, user, password, data = demo
    with httpx.Client(base_url=url) as client:
        client.post("/api/auth/login", json={"username": user, "password": password})
        deadline = time.monotonic() + 40
        segments: list[Path] = []
        while time.monotonic() < deadline:
            segments = sorted((data / "recordings").rglob("*.mp4"))
            if len({p.relative_to(data / "recordings").parts[0] for p in segments}) == 4:
                break
            time.sleep(1)
        health = client.get("/api/health/cameras").json()
    recorded = {p.relative_to(data / "recordings").parts[0] for p in segments}
    assert len(recorded) == 4, segments
    assert {h["state"] for h in health} == {"online"}, health
    assert all(h["fps"] > 5 for h in health), health

    # The CLI, a separate process, reads the health the recorder writes to the catalog.
    env = {**os.environ, "WARDEYE_DATA_DIR": str(data)}
    env.pop("WARDEYE_CONFIG", None)
    cli = Path(sys.executable).with_name("wardeye")
    deadline = time.monotonic() + 20
    while True:
        out = subprocess.run(
            [str(cli), "camera", "status", "--json"], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        rows = json.loads(out.stdout)
        if len(rows) == 4 and {r["state"] for r in rows} == {"online"}:
            break
        assert time.monotonic() < deadline, rows
        time.sleep(1)
    assert not any(r["stale"] for r in rows)
    assert {r["camera"] for r in rows} >= {"Chợ Bến Thành – cổng Tây", "Trường THCS Minh Đức"}
