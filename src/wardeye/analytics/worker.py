"""Analytics worker process: receives compressed packets of its cameras over a queue, decodes
and samples them, runs each camera's ``CameraAnalyser`` and sends events back.

It runs in its own (spawned) process so a crash, a hang or an overload here never touches the
recorder. It writes snapshot JPEGs itself (they are big); the catalog is written by the
supervisor, the only writer, from the small messages sent back.

Messages in:  ("camera", id, {"zones": [...], "timezone": str})
              ("open", id, codec)     ("packet", id, seq, data, pts, keyframe, at)
              ("close", id)           ("stop",)
Messages out: ("heartbeat", index, stats)   ("event", id, event dict, snapshot path | None)
              ("end", id, key, end, details)
"""

from __future__ import annotations

import logging
import os
import queue
import time
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from wardeye.analytics.analyser import CameraAnalyser, describe, render_snapshot
from wardeye.analytics.decoder import SampledDecoder
from wardeye.analytics.detectors import Detector, build_detector
from wardeye.analytics.rules import RuleEnd, RuleEvent, RuleOutput
from wardeye.analytics.zones import ZoneSettings, ZoneSpec
from wardeye.config.models import AnalyticsConfig
from wardeye.core.clock import utc_now

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 1.0


@dataclass
class _Camera:
    analyser: CameraAnalyser
    decoder: SampledDecoder | None = None
    seq: int = -1
    frames: int = 0
    skipped: int = 0
    events: int = 0
    busy: float = 0.0
    last_at: datetime | None = None
    spec: dict[str, Any] = field(default_factory=dict)


def zone_specs(raw: list[dict[str, Any]]) -> list[ZoneSpec]:
    return [
        ZoneSpec(
            z["name"],
            z["kind"],
            tuple((float(x), float(y)) for x, y in z["points"]),
            ZoneSettings.model_validate(z.get("settings") or {}),
        )
        for z in raw
    ]


class Worker:
    def __init__(
        self,
        index: int,
        config: AnalyticsConfig,
        snapshots_dir: Path,
        outbox: Queue[Any],
        detector: Detector,
    ) -> None:
        self.index = index
        self.config = config
        self.snapshots = snapshots_dir
        self.outbox = outbox
        self.detector = detector
        self.cameras: dict[int, _Camera] = {}

    def handle(self, message: tuple[Any, ...]) -> None:
        kind, camera_id = message[0], message[1]
        if kind == "camera":
            self._configure(camera_id, message[2])
        elif kind == "open":
            camera = self.cameras.get(camera_id)
            if camera is not None:
                self._flush(camera_id, camera)
                camera.decoder = SampledDecoder(message[2], self.config.fps)
                camera.seq = -1
        elif kind == "packet":
            self._packet(camera_id, *message[2:])
        elif kind == "close":
            camera = self.cameras.get(camera_id)
            if camera is not None:
                self._flush(camera_id, camera)
                camera.decoder = None

    def stats(self) -> dict[str, Any]:
        return {
            str(cid): {
                "frames": c.frames,
                "skipped": c.skipped,
                "events": c.events,
                "busy_seconds": round(c.busy, 3),
            }
            for cid, c in self.cameras.items()
        }

    def finish(self) -> None:
        for camera_id, camera in self.cameras.items():
            self._flush(camera_id, camera)

    def _configure(self, camera_id: int, spec: dict[str, Any]) -> None:
        current = self.cameras.get(camera_id)
        if current is not None and current.spec == spec:
            return
        if current is not None:
            self._flush(camera_id, current)
        analyser = CameraAnalyser(
            self.detector, zone_specs(spec.get("zones", [])), spec.get("timezone", "UTC")
        )
        camera = _Camera(analyser, spec=spec)
        if current is not None:
            camera.decoder, camera.seq = current.decoder, current.seq
        self.cameras[camera_id] = camera

    def _packet(
        self, camera_id: int, seq: int, data: bytes, pts: int, keyframe: bool, at: datetime
    ) -> None:
        camera = self.cameras.get(camera_id)
        if camera is None or camera.decoder is None:
            return
        if camera.seq >= 0 and seq != camera.seq + 1:
            camera.decoder.resync()  # the sender dropped packets: it fell behind
        camera.seq = seq
        for frame, when in camera.decoder.decode(data, pts, keyframe, at):
            if (utc_now() - when).total_seconds() > self.config.max_lag_seconds:
                camera.skipped += 1  # behind: catch up rather than fill the queue
                continue
            started = time.perf_counter()
            result = camera.analyser.process(frame, when)
            camera.busy += time.perf_counter() - started
            camera.frames += 1
            camera.last_at = when
            self._send(camera_id, camera, result.outputs, result.frame)

    def _flush(self, camera_id: int, camera: _Camera) -> None:
        if camera.last_at is not None:
            self._send(camera_id, camera, camera.analyser.finish(camera.last_at), None)

    def _send(
        self,
        camera_id: int,
        camera: _Camera,
        outputs: tuple[RuleOutput, ...] | list[RuleOutput],
        frame: Any,
    ) -> None:
        for output in outputs:
            if isinstance(output, RuleEnd):
                self.outbox.put(("end", camera_id, output.key, output.end, output.details))
                continue
            camera.events += 1
            path = self._snapshot(camera_id, output, frame) if frame is not None else None
            self.outbox.put(("event", camera_id, describe(output), path))

    def _snapshot(self, camera_id: int, event: RuleEvent, frame: Any) -> str | None:
        relative = Path(
            str(camera_id),
            event.start.strftime("%Y-%m-%d"),
            f"{event.start.strftime('%H%M%S_%f')}_{event.kind}_{event.key.rsplit(':', 1)[-1]}.jpg",
        )
        try:
            target = self.snapshots / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_suffix(".part")
            temporary.write_bytes(render_snapshot(frame, event))
            temporary.replace(target)
        except (OSError, ValueError):
            log.exception("snapshot of %s not written", event.kind)
            return None
        return relative.as_posix()


def run(
    index: int, config_json: str, snapshots_dir: str, inbox: Queue[Any], outbox: Queue[Any]
) -> None:
    """Process entry point (spawned)."""
    logging.basicConfig(level=logging.INFO, format=f"analytics[{index}] %(levelname)s %(message)s")
    config = AnalyticsConfig.model_validate_json(config_json)
    import cv2

    cv2.setNumThreads(1)
    detector = build_detector(config.detector, config.resolved_models_dir())
    worker = Worker(index, config, Path(snapshots_dir), outbox, detector)
    outbox.put(("heartbeat", index, {}))
    last_beat = time.monotonic()
    parent = os.getppid()
    while os.getppid() == parent:  # the supervisor's process died: nobody to work for
        try:
            message = inbox.get(timeout=HEARTBEAT_SECONDS / 2)
        except queue.Empty:
            message = None
        if message is not None:
            if message[0] == "stop":
                worker.finish()
                outbox.put(("heartbeat", index, worker.stats()))
                return
            try:
                worker.handle(message)
            except Exception:
                log.exception("message %s for camera %s failed", message[0], message[1])
        if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
            outbox.put(("heartbeat", index, worker.stats()))
            last_beat = time.monotonic()
