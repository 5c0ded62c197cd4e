"""Migration 0006 on a catalog made before it: division types inferred from the names, names
put in NFC (unless that collides), districts left in place; and back down."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from sqlalchemy import inspect, text

from wardeye.catalog import migrate
from wardeye.catalog.database import create_catalog_engine

NFD = unicodedata.normalize("NFD", "Xã Mường Phăng")


def test_upgrade_from_0005(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(url, "0005")
    engine = create_catalog_engine(url)
    rows = [
        (1, None, "Tỉnh Điện Biên", "province"),
        (2, 1, "Huyện Điện Biên", "district"),
        (3, 2, NFD, "commune"),
        (4, 2, "Thị trấn Mường Ảng", "commune"),
        (5, 3, "Bản Phăng", "village"),
        (6, 2, "Chỗ lạ", "commune"),
        # the same name twice, once NFC and once NFD: only one can become NFC
        (7, 1, "Phường Him Lam", "commune"),
        (8, 1, unicodedata.normalize("NFD", "Phường Him Lam"), "commune"),
    ]
    with engine.begin() as connection:
        for area_id, parent, name, level in rows:
            connection.execute(
                text("INSERT INTO areas (id, parent_id, name, level, created_at) "
                     "VALUES (:i, :p, :n, :l, '2025-01-01 00:00:00')"),
                {"i": area_id, "p": parent, "n": name, "l": level},
            )  # fmt: skip
    migrate.upgrade(url)
    with engine.connect() as connection:
        got = {
            row[0]: (row[1], row[2])
            for row in connection.execute(text("SELECT id, name, division_type FROM areas"))
        }
    assert got[1] == ("Tỉnh Điện Biên", "tinh")
    assert got[2] == ("Huyện Điện Biên", "huyen")
    assert got[3] == ("Xã Mường Phăng", "xa")  # NFC now
    assert got[4][1] == "thi_tran" and got[5][1] == "ban" and got[6][1] is None
    assert got[7][0] == "Phường Him Lam" and got[8][0] != got[7][0]  # left, not collided
    assert any(i["name"] == "ix_areas_code" for i in inspect(engine).get_indexes("areas"))
    migrate.downgrade(url, "0005")
    assert "division_type" not in {c["name"] for c in inspect(engine).get_columns("areas")}
    engine.dispose()
