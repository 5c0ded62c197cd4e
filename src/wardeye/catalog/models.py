"""Catalog tables. Names of places and people are Unicode and kept exactly as written."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from wardeye.catalog.types import EncryptedText, UTCDateTime
from wardeye.core.clock import utc_now

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

AREA_LEVELS = ("province", "district", "commune", "village")  # district: catalogs before 2025
# What kind of unit an area is, as in the official lists (ASCII), for each level.
DIVISION_TYPES = {
    "province": ("tinh", "thanh_pho_trung_uong"),
    "district": ("quan", "huyen", "thi_xa", "thanh_pho"),
    "commune": ("xa", "phuong", "dac_khu", "thi_tran"),
    "village": (
        "thon",
        "ban",
        "ap",
        "to_dan_pho",
        "khu_pho",
        "xom",
        "lang",
        "buon",
        "khom",
        "soc",
        "plei",
        "khu",
    ),
}
CAMERA_KINDS = ("public", "household")
CONSENT_TIERS = ("registry", "on_request", "live")
ROLE_NAMES = ("admin", "commander", "investigator", "officer", "viewer", "owner")
STREAMS = ("main", "sub")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Area(Base):
    """Province › commune/ward/special zone › village since July 2025; a district level
    between province and commune stays valid for older catalogs. Access is scoped by subtree."""

    __tablename__ = "areas"
    __table_args__ = (
        UniqueConstraint("parent_id", "name", name="uq_areas_parent_name"),
        CheckConstraint(f"level IN {AREA_LEVELS!r}", name="level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(32), index=True)
    retention_days: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    division_type: Mapped[str | None] = mapped_column(String(24))  # see DIVISION_TYPES

    parent: Mapped[Area | None] = relationship(remote_side=[id])


class Camera(Base):
    """A public camera or a household camera shared under a consent tier."""

    __tablename__ = "cameras"
    __table_args__ = (
        CheckConstraint(f"kind IN {CAMERA_KINDS!r}", name="kind"),
        CheckConstraint(
            f"consent_tier IS NULL OR consent_tier IN {CONSENT_TIERS!r}", name="consent_tier"
        ),
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="lat"),
        CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="lon"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="public")
    owner_name: Mapped[str | None] = mapped_column(String(200))
    owner_phone: Mapped[str | None] = mapped_column(String(32))
    consent_tier: Mapped[str | None] = mapped_column(String(16))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    main_url: Mapped[str] = mapped_column(EncryptedText)  # user:password@ encrypted at rest
    sub_url: Mapped[str | None] = mapped_column(EncryptedText)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    retention_days: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)
    # Added by migration 0004 (kept last so a migrated table and a new one match).
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    verified: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    area: Mapped[Area] = relationship()


class Role(Base):
    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")


class User(Base):
    """A person who signs in. The areas in ``user_areas`` (and everything below them) scope
    what they may see; a user bound to no area sees every area, an owner only their cameras."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(ForeignKey("roles.name", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    areas: Mapped[list[UserArea]] = relationship(
        cascade="all, delete-orphan", order_by="UserArea.area_id", lazy="selectin"
    )

    @property
    def area_ids(self) -> list[int]:
        return [link.area_id for link in self.areas]


class UserArea(Base):
    """One area a user is bound to; they see it and everything below it."""

    __tablename__ = "user_areas"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(
        ForeignKey("areas.id", ondelete="RESTRICT"), primary_key=True
    )


class Segment(Base):
    """One closed, playable recording file. Only complete files are ever indexed."""

    __tablename__ = "segments"
    __table_args__ = (
        Index("ix_segments_camera_start", "camera_id", "stream", "start"),
        Index("ix_segments_start", "start"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(8), default="main")
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    duration: Mapped[float] = mapped_column(Float)
    bytes: Mapped[int] = mapped_column(BigInteger)
    keyframes: Mapped[int] = mapped_column(Integer)
    frames: Mapped[int] = mapped_column(Integer, default=0)
    codec: Mapped[str] = mapped_column(String(16), default="")
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class RecordingGap(Base):
    """A stretch with no footage and why: so playback can tell 'no footage' from 'nothing'."""

    __tablename__ = "recording_gaps"
    __table_args__ = (Index("ix_recording_gaps_camera_start", "camera_id", "stream", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(8), default="main")
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)


class EvidenceLock(Base):
    """Footage of a camera between start and end that retention must never delete."""

    __tablename__ = "evidence_locks"
    __table_args__ = (Index("ix_evidence_locks_camera", "camera_id", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="RESTRICT"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    case_ref: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CameraStatus(Base):
    """Last reported health of a camera stream, written by the recorder that holds it. Lets the
    CLI, reports and (later) a central site see health without asking each recorder process."""

    __tablename__ = "camera_status"

    camera_id: Mapped[int] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    stream: Mapped[str] = mapped_column(String(8), primary_key=True)
    node: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(24))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    offline_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fps: Mapped[float] = mapped_column(Float, default=0.0)
    bitrate_kbps: Mapped[float] = mapped_column(Float, default=0.0)
    codec: Mapped[str | None] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    last_packet_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_keyframe_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


EVENT_KINDS = (
    "intrusion",
    "loitering",
    "gathering",
    "line_crossing",
    "speeding",
    "street_racing",
    "tamper_covered",
    "tamper_defocused",
    "tamper_moved",
    "camera_offline",
)
ZONE_KINDS = ("polygon", "line")


class Zone(Base):
    """A polygon or a line drawn on a camera's picture (0-1 coordinates, so it fits both
    streams) with the settings of the rules that watch it."""

    __tablename__ = "zones"
    __table_args__ = (
        UniqueConstraint("camera_id", "name", name="uq_zones_camera_name"),
        CheckConstraint(f"kind IN {ZONE_KINDS!r}", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[str] = mapped_column(Text)  # JSON [[x, y], ...]
    settings: Mapped[str] = mapped_column(Text, default="{}")  # JSON, see analytics.zones
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class AnalyticsEvent(Base):
    """Something the analytics saw (or a camera going dark): when, where, what, and a picture.
    ``end`` stays empty while the event lasts (someone still loitering)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_camera_start", "camera_id", "start"),
        Index("ix_events_start", "start"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    label: Mapped[str | None] = mapped_column(String(32))
    zone: Mapped[str | None] = mapped_column(String(200))
    track_id: Mapped[int | None] = mapped_column(Integer)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confidence: Mapped[float | None] = mapped_column(Float)
    snapshot: Mapped[str | None] = mapped_column(Text)  # path relative to <data_dir>/snapshots
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


Event = AnalyticsEvent


class AuditEntry(Base):
    """One audit entry, chained to the one before by ``prev_hash`` (see ``wardeye.audit``).
    Never updated or deleted, so no foreign keys: removing a user or camera must not rewrite
    history. On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_user_seq", "user_id", "seq"),
        Index("ix_audit_entries_camera_seq", "camera_id", "seq"),
        Index("ix_audit_entries_action_seq", "action", "seq"),
        Index("ix_audit_entries_case_seq", "case_ref", "seq"),
        Index("ix_audit_entries_hash", "hash"),
        Index("ix_audit_entries_prev_hash", "prev_hash"),  # both: to tell how a link broke
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    username: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(Text)
    client_address: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    result: Mapped[str] = mapped_column(String(16))
    camera_id: Mapped[int | None] = mapped_column(BigInteger)
    object_type: Mapped[str | None] = mapped_column(Text)
    object_id: Mapped[str | None] = mapped_column(Text)
    start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    case_ref: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON object
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """The site key's signature over one entry's seq and hash; also kept in a file outside
    the catalog so that cutting the table's tail shows."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    signature: Mapped[str] = mapped_column(String(128))  # hex Ed25519 signature


class PrivacyMask(Base):
    """A polygon on a camera's picture (0-1 coordinates, like zones) blacked out for everyone
    without the ``unmask`` right, in live view, snapshots and playback."""

    __tablename__ = "privacy_masks"
    __table_args__ = (UniqueConstraint("camera_id", "name", name="uq_privacy_masks_camera_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    points: Mapped[str] = mapped_column(Text)  # JSON [[x, y], ...]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)


SIGNIN_THROTTLE_KINDS = ("account", "address")
SIGNIN_STAGES = ("full", "second_factor", "enrol")


class SigninThrottle(Base):
    """Failed sign-ins counted per account name and per client address, in the catalog so
    the count survives a restart and holds across processes (``wardeye.signin.throttle``).
    Names that match no account are counted the same way, so the table reveals nothing."""

    __tablename__ = "signin_throttle"
    __table_args__ = (
        CheckConstraint(f"kind IN {SIGNIN_THROTTLE_KINDS!r}", name="kind"),
        Index("ix_signin_throttle_last_failure_at", "last_failure_at"),
    )

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SigninSession(Base):
    """A server-side session: the cookie holds a random id, the catalog only its SHA-256, so
    signing out, an admin's revocation and the expiry rules take effect at once."""

    __tablename__ = "signin_sessions"
    __table_args__ = (
        CheckConstraint(f"stage IN {SIGNIN_STAGES!r}", name="stage"),
        Index("ix_signin_sessions_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16), default="full")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(String(32))


class UserSecondFactor(Base):
    """A user's TOTP secret, encrypted at rest with the catalog's credential key and never
    shown again after enrolment. ``last_step`` refuses a code used once from being replayed."""

    __tablename__ = "user_totp"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(EncryptedText)  # base32, sealed when the catalog has a key
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ApiToken(Base):
    """A bearer token for an integration: only the SHA-256 of the token is stored; it acts
    for its user, narrowed to its scopes, until it expires or is revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(Text)  # permission values, space-separated
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


FOOTAGE_REQUEST_STATES = ("pending", "accepted", "refused")


class FootageRequest(Base):
    """Police ask a household camera's owner for footage the camera does not share on its own
    (tier ``registry`` or ``on_request``); the owner accepts or refuses in the app."""

    __tablename__ = "footage_requests"
    __table_args__ = (
        CheckConstraint(f"status IN {FOOTAGE_REQUEST_STATES!r}", name="status"),
        Index("ix_footage_requests_camera", "camera_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    case_ref: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    owner_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
