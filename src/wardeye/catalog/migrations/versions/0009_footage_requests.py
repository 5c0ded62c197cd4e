"""Footage requests: police ask a household camera's owner for footage; the owner answers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = ("pending", "accepted", "refused")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "footage_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("start", _utc(), nullable=False),
        sa.Column("end", _utc(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("case_ref", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner_comment", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("answered_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_footage_requests")),
        sa.CheckConstraint(f"status IN {STATES!r}", name=op.f("ck_footage_requests_status")),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_footage_requests_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_footage_requests_requested_by_users"),
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_footage_requests_camera", "footage_requests", ["camera_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_footage_requests_camera", table_name="footage_requests")
    op.drop_table("footage_requests")
