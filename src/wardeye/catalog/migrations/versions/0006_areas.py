"""Areas on Vietnam's two-tier map (since 1 July 2025: province › commune/ward/special zone ›
village, no districts): each area records its division type (xa, phuong, dac_khu, thi_tran,
tinh, …) and official codes are indexed for the import from the national list. Older
four-level catalogs keep their districts; communes may now sit directly under a province.
Existing area and camera names are put in Unicode NFC, so names compare as people read them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Name prefix → division type, per level (a copy: migrations never import app code).
PREFIXES = {
    "province": (("Tỉnh ", "tinh"), ("Thành phố ", "thanh_pho_trung_uong")),
    "district": (("Quận ", "quan"), ("Huyện ", "huyen"), ("Thị xã ", "thi_xa"),
                 ("Thành phố ", "thanh_pho")),
    "commune": (("Xã ", "xa"), ("Phường ", "phuong"), ("Thị trấn ", "thi_tran"),
                ("Đặc khu ", "dac_khu")),
    "village": (("Thôn ", "thon"), ("Bản ", "ban"), ("Ấp ", "ap"), ("Tổ dân phố ", "to_dan_pho"),
                ("Khu phố ", "khu_pho"), ("Xóm ", "xom"), ("Làng ", "lang"), ("Buôn ", "buon"),
                ("Khóm ", "khom"), ("Sóc ", "soc"), ("Plei ", "plei"), ("Khu ", "khu")),
}  # fmt: skip


def _division_type(name: str, level: str) -> str | None:
    folded = unicodedata.normalize("NFC", name).casefold()
    for prefix, division in PREFIXES.get(level, ()):
        if folded.startswith(prefix.casefold()):
            return division
    return None


def _nfc_names(bind: sa.Connection, table: str, scope: str | None) -> None:
    """NFC every name unless that would collide with a name already there (left as is)."""
    columns = f"id, name{', ' + scope if scope else ''}"
    rows = bind.execute(sa.text(f"SELECT {columns} FROM {table}")).all()
    taken = {(row[2] if scope else None, row[1]) for row in rows}
    for row in rows:
        nfc = unicodedata.normalize("NFC", row[1])
        key = (row[2] if scope else None, nfc)
        if nfc != row[1] and key not in taken:
            bind.execute(sa.text(f"UPDATE {table} SET name = :n WHERE id = :i"),
                         {"n": nfc, "i": row[0]})  # fmt: skip
            taken.add(key)


def upgrade() -> None:
    # Plain ALTER TABLE, not batch mode: rebuilding the areas table on SQLite would trip the
    # foreign keys of every camera, user and sub-area pointing at it.
    op.add_column("areas", sa.Column("division_type", sa.String(length=24), nullable=True))
    op.create_index(op.f("ix_areas_code"), "areas", ["code"], unique=False)
    bind = op.get_bind()
    _nfc_names(bind, "areas", "parent_id")
    _nfc_names(bind, "cameras", None)
    for area_id, name, level in bind.execute(sa.text("SELECT id, name, level FROM areas")).all():
        division = _division_type(name, level)
        if division is not None:
            bind.execute(sa.text("UPDATE areas SET division_type = :d WHERE id = :i"),
                         {"d": division, "i": area_id})  # fmt: skip


def downgrade() -> None:
    op.drop_index(op.f("ix_areas_code"), table_name="areas")
    op.drop_column("areas", "division_type")  # SQLite 3.35+ drops a column in place
