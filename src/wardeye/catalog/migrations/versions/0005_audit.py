"""Audit trail: hash-chained entries and signed checkpoints. On PostgreSQL, triggers refuse
UPDATE, DELETE and TRUNCATE of both tables, so even the service's own database account cannot
quietly trim the trail (a superuser can still disable them: the chain and the checkpoint file
then show what was changed).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("audit_entries", "audit_checkpoints")
FUNCTION = "wardeye_audit_append_only"


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _seq() -> sa.Column[int]:
    return sa.Column(
        "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False,
        autoincrement=False,
    )  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        _seq(),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("client_address", sa.Text(), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("camera_id", sa.BigInteger(), nullable=True),
        sa.Column("object_type", sa.Text(), nullable=True),
        sa.Column("object_id", sa.Text(), nullable=True),
        sa.Column("start", _utc(), nullable=True),
        sa.Column("end", _utc(), nullable=True),
        sa.Column("case_ref", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entries")),
    )
    op.create_index("ix_audit_entries_at", "audit_entries", ["at"])
    op.create_index("ix_audit_entries_user_seq", "audit_entries", ["user_id", "seq"])
    op.create_index("ix_audit_entries_camera_seq", "audit_entries", ["camera_id", "seq"])
    op.create_index("ix_audit_entries_action_seq", "audit_entries", ["action", "seq"])
    op.create_index("ix_audit_entries_case_seq", "audit_entries", ["case_ref", "seq"])
    op.create_index("ix_audit_entries_hash", "audit_entries", ["hash"])
    op.create_index("ix_audit_entries_prev_hash", "audit_entries", ["prev_hash"])
    op.create_table(
        "audit_checkpoints",
        _seq(),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_checkpoints")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _create_triggers()


def _create_triggers() -> None:
    op.execute(
        f"""
        CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    op.drop_table("audit_checkpoints")
    for name in ("prev_hash", "hash", "case_seq", "action_seq", "camera_seq", "user_seq", "at"):
        op.drop_index(f"ix_audit_entries_{name}", table_name="audit_entries")
    op.drop_table("audit_entries")
