"""Privacy masks in the catalog: polygons per camera (0-1 picture coordinates, like zones, so
one mask fits the main and the sub stream) and the rules for drawing them.

Changes are published as ``MasksChanged`` so the live view re-masks open streams at once;
readers also re-read the masks at every keyframe, so a change made elsewhere (another
process) is applied within one group of pictures."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wardeye.catalog.database import Database
from wardeye.catalog.models import Camera, PrivacyMask
from wardeye.core.bus import EventBus
from wardeye.core.errors import Conflict, NotFound
from wardeye.core.events import Event

Point = tuple[float, float]
MAX_POINTS = 64
MIN_AREA = 1e-5  # of the picture: a polygon thinner than this is a slip of the mouse


@dataclass(frozen=True, slots=True)
class MasksChanged(Event):
    """A camera's privacy masks were drawn, edited, switched or removed."""

    camera_id: int


@dataclass(frozen=True, slots=True)
class Mask:
    """One enabled polygon, as the masking code needs it."""

    id: int
    name: str
    points: tuple[Point, ...]


def polygon_area(points: Sequence[Point]) -> float:
    """Shoelace formula; absolute value, in picture fractions."""
    total = 0.0
    for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True):
        total += x0 * y1 - x1 * y0
    return abs(total) / 2


def _check_points(points: list[Point]) -> list[Point]:
    for x, y in points:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError("mask points are fractions of the picture: 0 <= x, y <= 1")
    if polygon_area(points) < MIN_AREA:
        raise ValueError("the mask polygon covers no area (points on a line?)")
    return points


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MaskCreate(_Strict):
    name: str = Field(min_length=1, max_length=200, description="Unique per camera.")
    points: list[Point] = Field(
        min_length=3,
        max_length=MAX_POINTS,
        description="Polygon corners as [x, y] fractions of the picture (0,0 is top left).",
    )
    enabled: bool = Field(True, description="Black this polygon out for viewers.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return unicodedata.normalize("NFC", value)

    @field_validator("points")
    @classmethod
    def _points(cls, value: list[Point]) -> list[Point]:
        return _check_points(value)


class MaskUpdate(_Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    points: list[Point] | None = Field(None, min_length=3, max_length=MAX_POINTS)
    enabled: bool | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else unicodedata.normalize("NFC", value)

    @field_validator("points")
    @classmethod
    def _points(cls, value: list[Point] | None) -> list[Point] | None:
        return None if value is None else _check_points(value)


class MaskView(BaseModel):
    id: int
    camera_id: int
    name: str
    points: list[Point] = Field(description="Polygon corners as [x, y] picture fractions.")
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: PrivacyMask) -> MaskView:
        return cls(
            id=row.id,
            camera_id=row.camera_id,
            name=row.name,
            points=_decode(row.points),
            enabled=row.enabled,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _decode(text: str) -> list[Point]:
    return [(float(x), float(y)) for x, y in json.loads(text)]


def _encode(points: Sequence[Point]) -> str:
    return json.dumps([[round(x, 6), round(y, 6)] for x, y in points])


def masks_for(db: Database, camera_id: int) -> list[Mask]:
    """The enabled masks of a camera, in the order they were drawn."""
    with db.session() as session:
        rows = session.scalars(
            select(PrivacyMask)
            .where(PrivacyMask.camera_id == camera_id, PrivacyMask.enabled.is_(True))
            .order_by(PrivacyMask.id)
        ).all()
        return [Mask(r.id, r.name, tuple(_decode(r.points))) for r in rows]


class MaskStore:
    """Reads and writes a camera's masks; the API checks permissions and audits around it."""

    def __init__(self, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus

    def enabled(self, camera_id: int) -> list[Mask]:
        return masks_for(self._db, camera_id)

    def views(self, camera_id: int) -> list[MaskView]:
        with self._db.session() as session:
            rows = session.scalars(
                select(PrivacyMask)
                .where(PrivacyMask.camera_id == camera_id)
                .order_by(PrivacyMask.id)
            ).all()
            return [MaskView.of(r) for r in rows]

    def get(self, camera_id: int, mask_id: int) -> MaskView:
        with self._db.session() as session:
            return MaskView.of(self._require(session, camera_id, mask_id))

    def create(self, camera_id: int, data: MaskCreate) -> MaskView:
        try:
            with self._db.session() as session:
                if session.get(Camera, camera_id) is None:
                    raise NotFound(f"no camera with id {camera_id}")
                self._check_name_free(session, camera_id, data.name, None)
                row = PrivacyMask(
                    camera_id=camera_id,
                    name=data.name,
                    points=_encode(data.points),
                    enabled=data.enabled,
                )
                session.add(row)
                session.flush()
                view = MaskView.of(row)
        except IntegrityError:
            raise Conflict(f"camera {camera_id} already has a mask named {data.name!r}") from None
        self._changed(camera_id)
        return view

    def update(self, camera_id: int, mask_id: int, data: MaskUpdate) -> MaskView:
        try:
            with self._db.session() as session:
                row = self._require(session, camera_id, mask_id)
                if data.name is not None:
                    self._check_name_free(session, camera_id, data.name, mask_id)
                    row.name = data.name
                if data.points is not None:
                    row.points = _encode(data.points)
                if data.enabled is not None:
                    row.enabled = data.enabled
                session.flush()
                view = MaskView.of(row)
        except IntegrityError:
            raise Conflict(f"camera {camera_id} already has a mask named {data.name!r}") from None
        self._changed(camera_id)
        return view

    def delete(self, camera_id: int, mask_id: int) -> MaskView:
        with self._db.session() as session:
            row = self._require(session, camera_id, mask_id)
            view = MaskView.of(row)
            session.delete(row)
        self._changed(camera_id)
        return view

    @staticmethod
    def _require(session: Session, camera_id: int, mask_id: int) -> PrivacyMask:
        row = session.get(PrivacyMask, mask_id)
        if row is None or row.camera_id != camera_id:
            raise NotFound(f"camera {camera_id} has no mask with id {mask_id}")
        return row

    @staticmethod
    def _check_name_free(session: Session, camera_id: int, name: str, mask_id: int | None) -> None:
        clash = session.scalars(
            select(PrivacyMask.id).where(
                PrivacyMask.camera_id == camera_id, PrivacyMask.name == name
            )
        ).first()
        if clash is not None and clash != mask_id:
            raise Conflict(f"camera {camera_id} already has a mask named {name!r}")

    def _changed(self, camera_id: int) -> None:
        if self._bus is not None:
            self._bus.publish(MasksChanged(camera_id))
