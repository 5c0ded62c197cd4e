"""Household cameras as their owners see them: self-registration, and the evidence locks that
keep some of their footage whatever they decide later."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select

from wardeye.catalog.database import Database
from wardeye.catalog.models import EvidenceLock
from wardeye.registry.schemas import ConsentTier, Strict, check_stream_url


class HouseholdRegistration(Strict):
    """What an owner gives to share a camera. An admin verifies it before it is pulled."""

    name: str = Field(min_length=1, max_length=200, description="Unique camera name.")
    area_id: int = Field(ge=1, le=2**63 - 1, description="Commune or village it stands in.")
    latitude: float = Field(ge=-90, le=90, description="Where it stands (WGS84).")
    longitude: float = Field(ge=-180, le=180)
    main_url: str | None = Field(
        None, description="Stream URL; none to share only the location (tier registry)."
    )
    consent_tier: ConsentTier = Field("registry", description="What the owner shares.")
    description: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _stream(self) -> HouseholdRegistration:
        if self.main_url is not None:
            self.main_url = check_stream_url(self.main_url)
        elif self.consent_tier != "registry":
            raise ValueError("sharing video needs the camera's stream URL")
        return self


class EvidenceLockView(BaseModel):
    """Footage kept for a case: it stays even if the owner withdraws the camera."""

    id: int
    camera_id: int
    start: datetime
    end: datetime
    reason: str
    case_ref: str | None
    created_at: datetime


def evidence_locks(db: Database, camera_id: int) -> list[EvidenceLockView]:
    with db.session() as session:
        rows = session.scalars(
            select(EvidenceLock)
            .where(EvidenceLock.camera_id == camera_id, EvidenceLock.released_at.is_(None))
            .order_by(EvidenceLock.start)
        )
        return [
            EvidenceLockView(
                id=r.id,
                camera_id=r.camera_id,
                start=r.start,
                end=r.end,
                reason=r.reason,
                case_ref=r.case_ref,
                created_at=r.created_at,
            )
            for r in rows
        ]
