"""Vietnam's two-tier map from the offline national list: real package data, real catalog."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from wardeye.catalog import migrate
from wardeye.catalog.database import Database
from wardeye.catalog.models import Area
from wardeye.cli.main import app as cli
from wardeye.core.errors import InvalidInput
from wardeye.registry.area_import import AreaImporter, find_province, national_list
from wardeye.registry.areas import AreaRegistry
from wardeye.registry.schemas import AreaCreate


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'catalog.sqlite3'}", data_dir=tmp_path)
    migrate.ensure_current(database)
    return database


def _areas(db: Database) -> list[Area]:
    with db.session() as session:
        return list(session.scalars(select(Area).order_by(Area.id)))


def test_the_national_list_is_the_2025_two_tier_map() -> None:
    provinces = national_list()
    communes = [c for p in provinces for c in p.communes]
    assert len(provinces) == 34 and len(communes) == 3321
    kinds = [c.division_type for c in communes]
    assert (kinds.count("xa"), kinds.count("phuong"), kinds.count("dac_khu")) == (2621, 687, 13)
    assert {p.division_type for p in provinces} == {"tinh", "thanh_pho_trung_uong"}
    names = [p.name for p in provinces] + [c.name for c in communes]
    assert all(unicodedata.is_normalized("NFC", n) for n in names)


@pytest.mark.parametrize(
    "query",
    [
        "Điện Biên",
        "Tỉnh Điện Biên",
        unicodedata.normalize("NFD", "tỉnh điện biên"),
        "  Điện   Biên ",
        "Dien Bien",
        "tinh dien bien",
        "11",
        "011",
    ],
)
def test_a_province_is_found_however_it_is_typed(query: str) -> None:
    province = find_province(query)
    assert (province.name, province.code, province.division_type) == ("Tỉnh Điện Biên", "11",
                                                                      "tinh")  # fmt: skip


def test_cities_keep_their_title_and_unknown_names_are_refused() -> None:
    assert find_province("Hà Nội").name == "Thành phố Hà Nội"
    assert find_province("TP. Hồ Chí Minh").code == "79"
    for query in ("Huyện Điện Biên Đông", "99", "", "Hà Tây"):  # Hà Tây: merged in 2008
        with pytest.raises(InvalidInput):
            find_province(query)


def test_import_creates_the_province_and_its_communes_once(db: Database) -> None:
    importer = AreaImporter(db)
    seen: list[str] = []
    first = importer.import_province(
        find_province("Điện Biên"), on_commune=lambda c: seen.append(c.name)
    )
    areas = _areas(db)
    province = next(a for a in areas if a.level == "province")
    assert (province.name, province.code, province.division_type) == ("Tỉnh Điện Biên", "11",
                                                                      "tinh")  # fmt: skip
    communes = [a for a in areas if a.level == "commune"]
    assert first.created == len(areas) == 1 + len(communes) == 1 + len(seen) == 46
    assert all(c.parent_id == province.id for c in communes)  # no district in between
    muong_phang = next(c for c in communes if c.name == "Xã Mường Phăng")
    assert (muong_phang.code, muong_phang.division_type) == ("03325", "xa")
    assert {c.division_type for c in communes} <= {"xa", "phuong"}

    again = importer.import_province(find_province("tỉnh điện biên"))
    assert (again.created, again.unchanged) == (0, 46)
    assert len(_areas(db)) == 46


def test_an_older_four_level_catalog_keeps_its_districts(db: Database) -> None:
    registry = AreaRegistry(db)
    province = registry.create(AreaCreate(name="Điện Biên", level="province"))  # no code
    district = registry.create(
        AreaCreate(name="Huyện Điện Biên", level="district", parent_id=province.id)
    )
    old = registry.create(
        AreaCreate(name="Xã Mường Phăng", level="commune", parent_id=district.id, code="3325")
    )
    report = AreaImporter(db).import_province(find_province("Điện Biên"))
    areas = {a.id: a for a in _areas(db)}
    assert areas[province.id].code == "11" and areas[province.id].division_type == "tinh"
    assert report.completed == 1 and report.created == 45  # the province reused
    assert areas[district.id].level == "district" and areas[old.id].parent_id == district.id
    fresh = [a for a in areas.values() if a.name == "Xã Mường Phăng" and a.id != old.id]
    assert [a.parent_id for a in fresh] == [province.id]  # the 2025 commune, under the province


def test_whole_country_import(db: Database) -> None:
    importer = AreaImporter(db)
    created = sum(importer.import_province(p).created for p in national_list())
    assert created == 34 + 3321
    with db.engine.connect() as connection:
        by_type = dict(connection.execute(text(
            "SELECT division_type, count(*) FROM areas GROUP BY division_type")).all())  # fmt: skip
    assert by_type == {"tinh": 28, "thanh_pho_trung_uong": 6, "xa": 2621, "phuong": 687,
                       "dac_khu": 13}  # fmt: skip


def test_cli_area_import(tmp_path: Path) -> None:
    config = tmp_path / "wardeye.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n")
    runner = CliRunner()
    first = runner.invoke(
        cli, ["area", "import", "--province", "Tỉnh Điện Biên", "-c", str(config)]
    )
    assert first.exit_code == 0, first.output
    assert "46 areas created" in first.output
    again = runner.invoke(cli, ["area", "import", "-p", "11", "-c", str(config)])
    assert again.exit_code == 0 and "already imported" in again.output
    listed = runner.invoke(cli, ["area", "list", "-c", str(config)])
    assert "03325" in listed.output and "Xã Mường Phăng" in listed.output
    wrong = runner.invoke(cli, ["area", "import", "--province", "Atlantis", "-c", str(config)])
    assert wrong.exit_code == 1 and "Atlantis" in wrong.output
    neither = runner.invoke(cli, ["area", "import", "-c", str(config)])
    assert neither.exit_code == 2
