"""Initial catalog: areas, cameras, roles (seeded), users, segments, recording gaps, evidence locks.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Written by hand to match ``wardeye.catalog.models`` at this revision; the values below are
frozen copies (not imports) so later model changes cannot rewrite history.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = (
    ("admin", "Manages cameras, users and areas."),
    ("investigator", "Searches and exports footage for cases."),
    ("officer", "Watches live and answers alerts."),
    ("household", "Owner of a shared private camera."),
    ("viewer", "Read-only access."),
)


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _create_areas() -> None:
    op.create_table(
        "areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("code", sa.String(32), nullable=True),
        sa.Column("retention_days", sa.Float(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_areas")),
        sa.UniqueConstraint("parent_id", "name", name=op.f("uq_areas_parent_name")),
        sa.CheckConstraint(
            "level IN ('province', 'district', 'commune', 'village')", name=op.f("ck_areas_level")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["areas.id"],
            name=op.f("fk_areas_parent_id_areas"),
            ondelete="RESTRICT",
        ),
    )
    op.create_index(op.f("ix_areas_parent_id"), "areas", ["parent_id"])


def _create_cameras() -> None:
    op.create_table(
        "cameras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("owner_name", sa.String(200), nullable=True),
        sa.Column("owner_phone", sa.String(32), nullable=True),
        sa.Column("consent_tier", sa.String(16), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("main_url", sa.Text(), nullable=False),
        sa.Column("sub_url", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("retention_days", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
        sa.CheckConstraint("kind IN ('public', 'household')", name=op.f("ck_cameras_kind")),
        sa.CheckConstraint(
            "consent_tier IS NULL OR consent_tier IN ('registry', 'on_request', 'live')",
            name=op.f("ck_cameras_consent_tier"),
        ),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name=op.f("ck_cameras_lat")
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
            name=op.f("ck_cameras_lon"),
        ),
        sa.UniqueConstraint("name", name=op.f("uq_cameras_name")),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_cameras_area_id_areas"), ondelete="RESTRICT"
        ),
    )
    op.create_index(op.f("ix_cameras_area_id"), "cameras", ["area_id"])


def _create_roles_and_users() -> None:
    roles = op.create_table(
        "roles",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_roles")),
    )
    op.bulk_insert(roles, [{"name": name, "description": text} for name, text in ROLES])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        sa.ForeignKeyConstraint(
            ["role"], ["roles.name"], name=op.f("fk_users_role_roles"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_users_area_id_areas"), ondelete="RESTRICT"
        ),
    )


def _create_segments() -> None:
    op.create_table(
        "segments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(8), nullable=False),
        sa.Column("start", _utc(), nullable=False),
        sa.Column("end", _utc(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("keyframes", sa.Integer(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("codec", sa.String(16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_segments_camera_id_cameras"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_segments_camera_start", "segments", ["camera_id", "stream", "start"])
    op.create_index("ix_segments_start", "segments", ["start"])


def _create_gaps_and_locks() -> None:
    op.create_table(
        "recording_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(8), nullable=False),
        sa.Column("start", _utc(), nullable=False),
        sa.Column("end", _utc(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_gaps")),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_recording_gaps_camera_id_cameras"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_recording_gaps_camera_start", "recording_gaps", ["camera_id", "stream", "start"]
    )
    op.create_table(
        "evidence_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("start", _utc(), nullable=False),
        sa.Column("end", _utc(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("case_ref", sa.String(64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("released_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_locks")),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_evidence_locks_camera_id_cameras"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_evidence_locks_created_by_users"),
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_evidence_locks_camera", "evidence_locks", ["camera_id", "start"])


def upgrade() -> None:
    _create_areas()
    _create_cameras()
    _create_roles_and_users()
    _create_segments()
    _create_gaps_and_locks()


def downgrade() -> None:
    for table in (
        "evidence_locks",
        "recording_gaps",
        "segments",
        "users",
        "roles",
        "cameras",
        "areas",
    ):
        op.drop_table(table)
