"""Camera health as last reported by the recorders, read from the catalog."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from wardeye.catalog import camera_status
from wardeye.catalog import cameras as camera_repo
from wardeye.catalog.database import Database
from wardeye.core.clock import utc_now

STALE_AFTER = timedelta(seconds=30)


class StreamStatusView(BaseModel):
    camera_id: int
    camera: str
    stream: str
    node: str
    state: str
    stale: bool  # the recorder has not reported for a while: it may not be running
    since: datetime
    offline_since: datetime | None
    fps: float
    bitrate_kbps: float
    codec: str | None
    width: int
    height: int
    last_keyframe_at: datetime | None
    last_error: str | None
    updated_at: datetime


def reported_status(db: Database, now: datetime | None = None) -> list[StreamStatusView]:
    now = now or utc_now()
    with db.session() as session:
        names = {c.id: c.name for c in camera_repo.list_filtered(session)}
        return [
            StreamStatusView(
                camera_id=s.camera_id,
                camera=names.get(s.camera_id, "?"),
                stream=s.stream,
                node=s.node,
                state=s.state,
                stale=now - s.updated_at > STALE_AFTER,
                since=s.since,
                offline_since=s.offline_since,
                fps=s.fps,
                bitrate_kbps=s.bitrate_kbps,
                codec=s.codec,
                width=s.width,
                height=s.height,
                last_keyframe_at=s.last_keyframe_at,
                last_error=s.last_error,
                updated_at=s.updated_at,
            )
            for s in camera_status.list_all(session)
        ]
