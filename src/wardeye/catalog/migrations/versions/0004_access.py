"""Access: the six roles of the permission table, users bound to several areas, household
cameras linked to their owner's account and verified by an admin before use.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_ROLES = (
    ("commander", "Approves footage extractions and lifts privacy masks."),
    ("owner", "Owner of a shared household camera: sees only their own cameras."),
)


def upgrade() -> None:
    roles = sa.table("roles", sa.column("name", sa.String), sa.column("description", sa.Text))
    op.bulk_insert(roles, [{"name": n, "description": d} for n, d in NEW_ROLES])
    op.execute("UPDATE users SET role = 'owner' WHERE role = 'household'")
    op.execute("DELETE FROM roles WHERE name = 'household'")
    op.create_table(
        "user_areas",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "area_id", name=op.f("pk_user_areas")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_areas_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_user_areas_area_id_areas"),
            ondelete="RESTRICT",
        ),
    )
    op.execute(
        "INSERT INTO user_areas (user_id, area_id) "
        "SELECT id, area_id FROM users WHERE area_id IS NOT NULL"
    )
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_area_id_areas", type_="foreignkey")
        batch.drop_column("area_id")
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(sa.Column("owner_user_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.create_foreign_key(
            "fk_cameras_owner_user_id_users",
            "users",
            ["owner_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_cameras_owner_user_id", ["owner_user_id"])


def downgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.drop_index("ix_cameras_owner_user_id")
        batch.drop_constraint("fk_cameras_owner_user_id_users", type_="foreignkey")
        batch.drop_column("verified")
        batch.drop_column("owner_user_id")
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("area_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_users_area_id_areas", "areas", ["area_id"], ["id"], ondelete="RESTRICT"
        )
    op.execute(
        "UPDATE users SET area_id = (SELECT MIN(area_id) FROM user_areas "
        "WHERE user_areas.user_id = users.id)"
    )
    op.drop_table("user_areas")
    roles = sa.table("roles", sa.column("name", sa.String), sa.column("description", sa.Text))
    op.bulk_insert(roles, [{"name": "household", "description": "Owner of a shared camera."}])
    op.execute("UPDATE users SET role = 'household' WHERE role = 'owner'")
    op.execute("UPDATE users SET role = 'officer' WHERE role = 'commander'")
    op.execute("DELETE FROM roles WHERE name IN ('commander', 'owner')")
