"""Drive the GStreamer RTSP camera simulator (rtsp_sim.py) from tests and benchmarks.

The simulator needs python3-gi, which only Debian's system interpreter has, so it runs as a
subprocess; this class starts it, waits for it to serve, and sends it control commands.
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Self
from urllib.parse import quote

PYTHON_ENV = "WARDEYE_GST_PYTHON"
DEFAULT_PYTHON = "/usr/bin/python3"
SIM_SCRIPT = Path(__file__).with_name("rtsp_sim.py")
SETUP_HINT = (
    "the simulator needs Debian's python3-gi, gir1.2-gst-rtsp-server-1.0 and the GStreamer "
    "plugins (run scripts/setup)"
)

# A mount is a clip to loop (a Path) or a live test pattern ("test:640x360").
MountSource = Path | str


class RtspSimulatorError(RuntimeError):
    """The simulator did not start, died, or refused a command."""


def mount_spec(name: str, source: MountSource) -> str:
    if isinstance(source, str) and source.startswith("test:"):
        return f"{name}:{source}"
    path = Path(source)
    if not path.is_file():
        raise RtspSimulatorError(f"clip for mount {name!r} not found: {path}")
    return f"{name}:loop:{path.resolve()}"


class RtspSimulator:
    """A real RTSP server serving looped clips and test patterns on loopback.

    >>> with RtspSimulator({"cam": media_file("vtest.mp4")}).start() as sim:
    ...     av.open(sim.url("cam"), options={"rtsp_transport": "tcp"})
    """

    def __init__(
        self,
        mounts: Mapping[str, MountSource],
        *,
        host: str = "127.0.0.1",
        auth: Mapping[str, tuple[str, str]] | None = None,
        python: str | None = None,
        startup_timeout: float = 20.0,
        command_timeout: float = 10.0,
    ) -> None:
        self.mounts = dict(mounts)
        self.host = host
        self.auth = dict(auth or {})
        self.python = python or os.environ.get(PYTHON_ENV) or DEFAULT_PYTHON
        self.startup_timeout = startup_timeout
        self.command_timeout = command_timeout
        self.port: int | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None  # the child's stderr; read via its own path
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader: threading.Thread | None = None

    def start(self, port: int | None = None) -> Self:
        """Launch the server (port None or 0: a free port) and wait until it serves."""
        if self._proc is not None:
            raise RtspSimulatorError("simulator already started")
        args = [self.python, str(SIM_SCRIPT), str(port or 0), "--host", self.host]
        args += [mount_spec(name, source) for name, source in self.mounts.items()]
        for name, (user, password) in self.auth.items():
            args += ["--auth", f"{name}:{user}:{password}"]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        self._stderr = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives until close()
            prefix="wardeye-rtsp-sim-", suffix=".log"
        )
        try:
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                text=True,
                bufsize=1,
                env=env,
            )
        except OSError as exc:
            self.close()
            raise RtspSimulatorError(f"cannot run {self.python}: {exc}; {SETUP_HINT}") from exc
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        line = self._next_line(self.startup_timeout)
        if line is None or not line.startswith("READY "):
            detail = self.stderr_text()
            self.close()
            raise RtspSimulatorError(
                f"RTSP simulator did not start (got {line!r}): {detail.strip()}\n{SETUP_HINT}"
            )
        self.port = int(line.rstrip("/").rsplit(":", 1)[1])
        return self

    def _read_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _next_line(self, timeout: float) -> str | None:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RtspSimulatorError("simulator not started")
        return f"rtsp://{self.host}:{self.port}/"

    def url(self, name: str, user: str | None = None, password: str | None = None) -> str:
        """rtsp:// URL of a mount, with credentials when given."""
        if name not in self.mounts:
            raise KeyError(f"no mount {name!r}; have {sorted(self.mounts)}")
        base = self.base_url
        if user is not None:
            userinfo = quote(user, safe="") + ":" + quote(password or "", safe="")
            base = base.replace("rtsp://", f"rtsp://{userinfo}@", 1)
        return f"{base}{name}"

    def command(self, line: str) -> str:
        """Send one control line and return the simulator's OK answer."""
        proc = self._proc
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise RtspSimulatorError(f"simulator not running: {self.stderr_text().strip()}")
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        answer = self._next_line(self.command_timeout)
        if answer is None or not answer.startswith("OK"):
            raise RtspSimulatorError(f"{line!r} failed: {answer!r} {self.stderr_text().strip()}")
        return answer

    def stop_stream(self, name: str) -> str:
        """Take a camera down: unmount it and drop its connected clients."""
        return self.command(f"stop {name}")

    def start_stream(self, name: str) -> str:
        """Bring a stopped camera back."""
        return self.command(f"start {name}")

    def set_auth(self, name: str, user: str, password: str) -> str:
        """Require RTSP basic auth on a mount from now on (at start-up: pass auth= instead)."""
        if ":" in user or any(c.isspace() for c in user + password):
            raise ValueError("the control channel takes a user without ':' and no whitespace")
        self.auth[name] = (user, password)
        return self.command(f"auth {name} {user} {password}")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stderr_text(self) -> str:
        """What the simulator logged so far (read through a separate open, not the child's)."""
        if self._stderr is None:
            return ""
        return Path(self._stderr.name).read_text(errors="replace")

    def close(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 5 s) and release its pipes."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
            if self._reader is not None:
                self._reader.join(timeout=5)  # returns at EOF once the process is gone
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):  # stdin may be a broken pipe by now
                        pipe.close()
        self._reader = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self.port = None

    def __enter__(self) -> Self:
        return self if self._proc is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
