"""Privacy masks: polygons per camera blacked out for viewers without the unmask right.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "privacy_masks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("points", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_masks")),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_privacy_masks_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("camera_id", "name", name="uq_privacy_masks_camera_name"),
    )
    op.create_index("ix_privacy_masks_camera_id", "privacy_masks", ["camera_id"])


def downgrade() -> None:
    op.drop_index("ix_privacy_masks_camera_id", table_name="privacy_masks")
    op.drop_table("privacy_masks")
