"""What the recorder reports per camera stream (the API's /api/health/cameras)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from wardeye.core.redact import redact_url

if TYPE_CHECKING:
    from wardeye.recording.pipeline import StreamPipeline


@dataclass(frozen=True, slots=True)
class CameraHealth:
    """State is one of starting, online, reconnecting, offline (not connected for longer than
    the grace period; ``offline_since`` says since when), paused_disk_full, stopped.
    ``last_error`` and ``url`` never contain credentials."""

    camera_id: int
    name: str
    stream: str
    state: str
    since: datetime
    offline_since: datetime | None
    fps: float
    bitrate_kbps: float
    codec: str | None
    width: int
    height: int
    last_packet_at: datetime | None
    last_keyframe_at: datetime | None
    last_error: str | None
    last_segment_end: datetime | None
    segments_written: int
    connect_attempts: int
    url: str

    @classmethod
    def of(cls, pipeline: StreamPipeline) -> CameraHealth:
        snap = pipeline.health.snapshot()
        return cls(
            camera_id=pipeline.camera_id,
            name=pipeline.name,
            stream=pipeline.stream,
            state=snap.state,
            since=snap.since,
            offline_since=snap.offline_since,
            fps=snap.fps,
            bitrate_kbps=snap.bitrate_kbps,
            codec=snap.codec,
            width=snap.width,
            height=snap.height,
            last_packet_at=snap.last_packet_at,
            last_keyframe_at=snap.last_keyframe_at,
            last_error=snap.last_error,
            last_segment_end=pipeline.index.last_end,
            segments_written=pipeline.index.segments_written,
            connect_attempts=snap.connect_attempts,
            url=redact_url(pipeline.url),
        )
