"""Writes the recorder's per-stream health into the catalog every few seconds, so the CLI,
reports and other sites can read it without talking to this process."""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from wardeye.catalog import camera_status
from wardeye.catalog.database import Database
from wardeye.core.clock import utc_now
from wardeye.recording.health import CameraHealth

log = logging.getLogger(__name__)


class StatusWriter:
    def __init__(
        self,
        db: Database,
        health: Callable[[], Sequence[CameraHealth]],
        node: str | None = None,
        interval_seconds: float = 5.0,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = db
        self._health = health
        self.node = node or socket.gethostname()
        self.interval_seconds = interval_seconds
        self._now = now
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def write_once(self) -> None:
        rows = [dataclasses.asdict(h) for h in self._health()]
        with self._db.session() as session:
            camera_status.replace_for_node(session, self.node, rows, self._now())

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="status-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        try:
            with self._db.session() as session:
                camera_status.mark_node_stopped(session, self.node, self._now())
        except Exception:
            log.exception("could not mark camera status as stopped")

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.write_once()
            except Exception:  # the catalog may be busy or down; health is best effort
                log.warning("could not write camera status", exc_info=True)
            self._stop.wait(self.interval_seconds)
