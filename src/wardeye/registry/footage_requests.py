"""Footage requests to household owners: police ask for a time range of a camera that does
not share video on its own; the owner accepts or refuses. Who may ask or answer is the access
layer's call; this module keeps the records and their rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import select

from wardeye.catalog.database import Database
from wardeye.catalog.models import FootageRequest
from wardeye.core.bounds import check_instant
from wardeye.core.clock import utc_now
from wardeye.core.errors import Conflict, NotFound
from wardeye.registry.schemas import Strict

MAX_SPAN = timedelta(days=7)


class FootageRequestCreate(Strict):
    start: datetime = Field(description="Start of the footage asked for (UTC).")
    end: datetime = Field(description="End of the footage asked for (UTC).")
    reason: str = Field(min_length=3, max_length=1000, description="Why; the owner reads it.")
    case_ref: str | None = Field(None, max_length=64, description="Case number, if any.")

    @field_validator("start", "end")
    @classmethod
    def _instant(cls, value: datetime) -> datetime:
        return check_instant(value)

    @model_validator(mode="after")
    def _span(self) -> FootageRequestCreate:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.end - self.start > MAX_SPAN:
            raise ValueError("ask for at most 7 days of footage at a time")
        return self


class FootageAnswer(Strict):
    accept: bool
    comment: str | None = Field(None, max_length=1000)


class FootageRequestView(BaseModel):
    id: int
    camera_id: int
    requested_by: int | None
    start: datetime
    end: datetime
    reason: str
    case_ref: str | None
    status: Literal["pending", "accepted", "refused"]
    owner_comment: str | None
    created_at: datetime
    answered_at: datetime | None


def _view(row: FootageRequest) -> FootageRequestView:
    return FootageRequestView.model_validate(row, from_attributes=True)


class FootageRequests:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self, camera_id: int, requested_by: int | None, data: FootageRequestCreate
    ) -> FootageRequestView:
        with self._db.session() as session:
            row = FootageRequest(
                camera_id=camera_id,
                requested_by=requested_by,
                start=data.start,
                end=data.end,
                reason=data.reason,
                case_ref=data.case_ref,
                status="pending",
            )
            session.add(row)
            session.flush()
            return _view(row)

    def get(self, request_id: int) -> FootageRequestView:
        with self._db.session() as session:
            row = session.get(FootageRequest, request_id)
            if row is None:
                raise NotFound(f"no footage request with id {request_id}")
            return _view(row)

    def for_cameras(self, camera_ids: frozenset[int]) -> list[FootageRequestView]:
        """Newest first."""
        with self._db.session() as session:
            rows = session.scalars(
                select(FootageRequest)
                .where(FootageRequest.camera_id.in_(sorted(camera_ids)))
                .order_by(FootageRequest.created_at.desc(), FootageRequest.id.desc())
            )
            return [_view(r) for r in rows]

    def answer(self, request_id: int, answer: FootageAnswer) -> FootageRequestView:
        with self._db.session() as session:
            row = session.get(FootageRequest, request_id)
            if row is None:
                raise NotFound(f"no footage request with id {request_id}")
            if row.status != "pending":
                raise Conflict(f"this request was already {row.status}")
            row.status = "accepted" if answer.accept else "refused"
            row.owner_comment = answer.comment
            row.answered_at = utc_now()
            session.flush()
            return _view(row)
