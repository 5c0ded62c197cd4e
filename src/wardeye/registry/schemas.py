"""Input and output shapes of the registry, shared by the API and the CLI."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from wardeye.catalog.models import DIVISION_TYPES
from wardeye.core.bounds import MAX_KEY, MAX_RETENTION_DAYS, clean_text
from wardeye.core.redact import has_credentials, redact_url

CameraKind = Literal["public", "household"]
ConsentTier = Literal["registry", "on_request", "live"]
AreaLevel = Literal["province", "district", "commune", "village"]
# An id of an area, camera or user as a request gives it: never 0, negative or past the key.
Key = Annotated[int, Field(ge=1, le=MAX_KEY)]
STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https", "file")
_SPACE = re.compile(r"\s")


def check_stream_url(url: str) -> str:
    """Accept camera URLs a recorder can open; explain what is wrong otherwise."""
    url = url.strip()
    if not url:
        raise ValueError("stream URL is empty")
    if _SPACE.search(url):
        raise ValueError("stream URL must not contain spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        # urllib's message quotes the part it choked on, which can be the password
        raise ValueError(
            "malformed stream URL (expected rtsp://user:password@host:port/path)"
        ) from None
    if parts.scheme not in STREAM_SCHEMES:
        raise ValueError(
            f"stream URL must start with one of {', '.join(s + '://' for s in STREAM_SCHEMES)}"
        )
    if parts.scheme == "file":
        if not parts.path:
            raise ValueError("file:// URL needs a path")
        return url
    if not parts.hostname:
        raise ValueError("stream URL has no host (expected e.g. rtsp://192.168.1.10:554/stream1)")
    if port is not None and not 0 < port < 65536:
        raise ValueError("stream URL port must be between 1 and 65535")
    return url


def _clean(value: Any, normalise: bool) -> Any:
    if isinstance(value, str):
        return clean_text(value, normalise)
    if isinstance(value, list):
        return [_clean(item, normalise) for item in value]
    return value


class Strict(BaseModel):
    """Request shapes: unknown fields refused, no NaN or infinity, text without NUL bytes and
    in NFC (so names typed composed or decomposed compare equal); secrets and URLs are kept
    byte for byte (a password must match what the person types at sign-in)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)
    VERBATIM: ClassVar[frozenset[str]] = frozenset({"password", "main_url", "sub_url"})

    @field_validator("*", mode="after")
    @classmethod
    def _text(cls, value: Any, info: ValidationInfo) -> Any:
        return _clean(value, normalise=info.field_name not in cls.VERBATIM)


class CameraFields(Strict):
    area_id: Key = Field(description="Area (commune, village …) where the camera stands.")
    kind: CameraKind = Field("public", description="public, or household (a resident's camera).")
    owner_name: str | None = Field(None, max_length=200, description="Household owner's name.")
    owner_phone: str | None = Field(None, max_length=32, description="Owner's phone number.")
    owner_user_id: Key | None = Field(
        None, description="The owner's account (role owner): they see and control it."
    )
    consent_tier: ConsentTier | None = Field(
        None, description="Household cameras: registry | on_request | live."
    )
    latitude: float | None = Field(None, ge=-90, le=90, description="WGS84 latitude.")
    longitude: float | None = Field(None, ge=-180, le=180, description="WGS84 longitude.")
    main_url: str = Field(description="Main stream URL (rtsp://user:pass@host/…).")
    sub_url: str | None = Field(None, description="Sub stream URL for grids and analytics.")
    enabled: bool = Field(True, description="Record and show this camera.")
    retention_days: float | None = Field(
        None, gt=0, le=MAX_RETENTION_DAYS, description="Override the age limit."
    )
    description: str | None = Field(None, max_length=2000, description="Where and what it sees.")

    @field_validator("main_url")
    @classmethod
    def _main_url(cls, value: str) -> str:
        return check_stream_url(value)

    @field_validator("sub_url")
    @classmethod
    def _sub_url(cls, value: str | None) -> str | None:
        return None if value in (None, "") else check_stream_url(value)


class CameraCreate(CameraFields):
    name: str = Field(min_length=1, max_length=200, description="Unique camera name.")

    @model_validator(mode="after")
    def _household_rules(self) -> CameraCreate:
        if self.kind == "household" and self.consent_tier is None:
            raise ValueError("a household camera needs a consent_tier (registry, on_request, live)")
        if self.kind == "public" and self.consent_tier is not None:
            raise ValueError("consent_tier applies only to household cameras")
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


class CameraUpdate(Strict):
    """Only the fields given are changed."""

    name: str | None = Field(None, min_length=1, max_length=200)
    area_id: Key | None = None
    kind: CameraKind | None = None
    owner_name: str | None = Field(None, max_length=200)
    owner_phone: str | None = Field(None, max_length=32)
    owner_user_id: Key | None = None
    consent_tier: ConsentTier | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    main_url: str | None = None
    sub_url: str | None = None
    enabled: bool | None = None
    retention_days: float | None = Field(None, gt=0, le=MAX_RETENTION_DAYS)
    description: str | None = Field(None, max_length=2000)

    @field_validator("main_url")
    @classmethod
    def _main_url(cls, value: str | None) -> str | None:
        return None if value is None else check_stream_url(value)

    @field_validator("sub_url")
    @classmethod
    def _sub_url(cls, value: str | None) -> str | None:
        return None if value in (None, "") else check_stream_url(value)


class CameraView(BaseModel):
    """What the API returns: stream URLs with credentials masked, never the secret itself."""

    id: int
    name: str
    area_id: int
    area_path: list[str]
    kind: CameraKind
    owner_name: str | None
    consent_tier: ConsentTier | None
    latitude: float | None
    longitude: float | None
    main_url: str = Field(description="Credentials, if any, are replaced by ***.")
    sub_url: str | None
    has_credentials: bool
    enabled: bool
    retention_days: float | None
    description: str | None
    owner_user_id: int | None = Field(None, description="The household owner's account.")
    verified: bool = Field(True, description="An admin checked a self-registered camera.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def masked(cls, **fields: object) -> CameraView:
        main = str(fields["main_url"])
        sub = fields.get("sub_url")
        fields["has_credentials"] = has_credentials(main) or bool(sub and has_credentials(str(sub)))
        fields["main_url"] = redact_url(main)
        fields["sub_url"] = redact_url(str(sub)) if sub else None
        return cls.model_validate(fields)


class AreaCreate(Strict):
    name: str = Field(min_length=1, max_length=200, description="Name with diacritics, as is.")
    level: AreaLevel = Field(
        description="province, commune (xã, phường, đặc khu), village; district only in "
        "catalogs made before the July 2025 reform."
    )
    parent_id: Key | None = Field(None, description="Enclosing area; none for a province.")
    code: str | None = Field(None, max_length=32, description="Official administrative code.")
    retention_days: float | None = Field(
        None, gt=0, le=MAX_RETENTION_DAYS, description="Age limit for its cameras."
    )
    division_type: str | None = Field(
        None,
        max_length=24,
        description="Kind of unit: tinh, thanh_pho_trung_uong; xa, phuong, dac_khu (thi_tran "
        "before 2025); thon, ban, ap, to_dan_pho …; quan, huyen, thi_xa, thanh_pho (districts, "
        "before 2025).",
    )

    @model_validator(mode="after")
    def _division_fits_level(self) -> AreaCreate:
        allowed = DIVISION_TYPES[self.level]
        if self.division_type is not None and self.division_type not in allowed:
            raise ValueError(f"a {self.level} is one of: {', '.join(allowed)}")
        return self


class AreaView(BaseModel):
    id: int
    name: str
    level: AreaLevel
    parent_id: int | None
    code: str | None
    division_type: str | None = None
    path: list[str]
    retention_days: float | None


ROLE_HELP = "admin, commander, investigator, officer, viewer or owner (a household camera's)."


class UserCreate(Strict):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=256)
    role: str = Field(description=ROLE_HELP)
    display_name: str = Field("", max_length=200)
    area_ids: list[Key] = Field(
        default_factory=list,
        max_length=100,
        description="Areas the user is bound to (and everything below them); none: all areas.",
    )


class UserUpdate(Strict):
    """Only the fields given are changed."""

    role: str | None = Field(None, description=ROLE_HELP)
    display_name: str | None = Field(None, max_length=200)
    area_ids: list[Key] | None = Field(None, max_length=100)
    active: bool | None = None


class PasswordReset(Strict):
    password: str = Field(min_length=8, max_length=256)


class UserView(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    area_ids: list[int]
    active: bool
