"""Camera repository. Validation lives in wardeye.registry; this module only reads and writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wardeye.catalog.models import Camera


def get(session: Session, camera_id: int) -> Camera | None:
    return session.get(Camera, camera_id)


def get_by_name(session: Session, name: str) -> Camera | None:
    return session.scalars(select(Camera).where(Camera.name == name)).first()


def list_filtered(
    session: Session,
    area_ids: Iterable[int] | None = None,
    enabled: bool | None = None,
    kind: str | None = None,
) -> Sequence[Camera]:
    query = select(Camera).order_by(Camera.name)
    if area_ids is not None:
        query = query.where(Camera.area_id.in_(list(area_ids)))
    if enabled is not None:
        query = query.where(Camera.enabled.is_(enabled))
    if kind is not None:
        query = query.where(Camera.kind == kind)
    return session.scalars(query).all()


def add(session: Session, **fields: Any) -> Camera:
    camera = Camera(**fields)
    session.add(camera)
    session.flush()
    return camera


def update(session: Session, camera: Camera, **fields: Any) -> Camera:
    for key, value in fields.items():
        setattr(camera, key, value)
    session.flush()
    return camera


def delete(session: Session, camera: Camera) -> None:
    session.delete(camera)
    session.flush()


def names(session: Session) -> Sequence[str]:
    """Every camera name, for checking many new names at once."""
    return session.scalars(select(Camera.name)).all()


def add_many(session: Session, rows: Iterable[dict[str, Any]]) -> list[Camera]:
    """Insert many cameras with one flush (a CSV import of thousands)."""
    cameras = [Camera(**fields) for fields in rows]
    session.add_all(cameras)
    session.flush()
    return cameras
