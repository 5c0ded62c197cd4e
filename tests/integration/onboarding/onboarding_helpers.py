"""Real servers that are not cameras, for the onboarding error paths: Python's own HTTP file
server, a TCP port that accepts and stays silent, and a port nobody listens on."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


@pytest.fixture
def web_dir(tmp_path: Path) -> Path:
    path = tmp_path / "www"
    path.mkdir()
    (path / "index.html").write_text("<html><body>Đây không phải camera</body></html>")
    return path


@pytest.fixture
def http_server(web_dir: Path) -> Iterator[str]:
    """``python -m http.server`` on loopback serving ``web_dir``; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(web_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_listening(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog does) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    return free_port()


def make_clip(path: Path, *args: str) -> Path:
    """Encode a short test clip with the Debian ffmpeg (arguments after the input)."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args, str(path)],
        check=True,
    )
    return path
