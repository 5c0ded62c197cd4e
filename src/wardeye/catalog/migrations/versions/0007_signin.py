"""Sign-in hardening: failed sign-ins counted per account name and client address, server-side
sessions (only the SHA-256 of the cookie's id is stored), TOTP second factors, API tokens.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _user_fk(table: str, column: str = "user_id", ondelete: str = "CASCADE") -> sa.Constraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "signin_throttle",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", _utc(), nullable=True),
        sa.Column("next_allowed_at", _utc(), nullable=True),
        sa.Column("locked_until", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_signin_throttle")),
        sa.CheckConstraint("kind IN ('account', 'address')", name=op.f("ck_signin_throttle_kind")),
    )
    op.create_index("ix_signin_throttle_last_failure_at", "signin_throttle", ["last_failure_at"])
    op.create_table(
        "signin_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("last_seen_at", _utc(), nullable=False),
        sa.Column("client_address", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(300), nullable=True),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.Column("revoke_reason", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_sessions")),
        _user_fk("signin_sessions"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_signin_sessions_token_hash")),
        sa.CheckConstraint(
            "stage IN ('full', 'second_factor', 'enrol')", name=op.f("ck_signin_sessions_stage")
        ),
    )
    op.create_index(op.f("ix_signin_sessions_user_id"), "signin_sessions", ["user_id"])
    op.create_index("ix_signin_sessions_created_at", "signin_sessions", ["created_at"])
    op.create_table(
        "user_totp",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("confirmed_at", _utc(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_totp")),
        _user_fk("user_totp"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.Column("last_used_at", _utc(), nullable=True),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        _user_fk("api_tokens"),
        _user_fk("api_tokens", "created_by", "SET NULL"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_api_tokens_user_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("user_totp")
    op.drop_index("ix_signin_sessions_created_at", table_name="signin_sessions")
    op.drop_index(op.f("ix_signin_sessions_user_id"), table_name="signin_sessions")
    op.drop_table("signin_sessions")
    op.drop_index("ix_signin_throttle_last_failure_at", table_name="signin_throttle")
    op.drop_table("signin_throttle")
