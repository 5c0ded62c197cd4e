"""Repository for the last reported health of each camera stream."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wardeye.catalog.models import Camera, CameraStatus

STATUS_FIELDS = (
    "state", "since", "offline_since", "fps", "bitrate_kbps", "codec", "width", "height",
    "last_packet_at", "last_keyframe_at", "last_error",
)  # fmt: skip


def replace_for_node(
    session: Session, node: str, rows: Iterable[dict[str, Any]], at: datetime
) -> None:
    """Upsert this node's rows and drop its rows for streams it no longer records."""
    existing = {
        (s.camera_id, s.stream): s
        for s in session.scalars(select(CameraStatus).where(CameraStatus.node == node))
    }
    known = set(session.scalars(select(Camera.id)))
    seen = set()
    for row in rows:
        key = (row["camera_id"], row["stream"])
        if row["camera_id"] not in known:
            continue
        seen.add(key)
        status = existing.get(key) or session.get(CameraStatus, key)
        if status is None:
            status = CameraStatus(camera_id=key[0], stream=key[1])
            session.add(status)
        status.node = node
        status.updated_at = at
        for name in STATUS_FIELDS:
            setattr(status, name, row[name])
    for key in set(existing) - seen:
        session.execute(
            delete(CameraStatus).where(
                CameraStatus.camera_id == key[0], CameraStatus.stream == key[1]
            )
        )


def list_all(session: Session) -> Sequence[CameraStatus]:
    return session.scalars(
        select(CameraStatus).order_by(CameraStatus.camera_id, CameraStatus.stream)
    ).all()


def mark_node_stopped(session: Session, node: str, at: datetime) -> None:
    for status in session.scalars(select(CameraStatus).where(CameraStatus.node == node)):
        if status.state != "stopped":
            status.state = "stopped"
            status.since = at
        status.fps = 0.0
        status.bitrate_kbps = 0.0
        status.updated_at = at
