"""Seed the area tree from Vietnam's official list of administrative units.

Since 1 July 2025 local government has two tiers: 34 provinces and centrally-run cities over
3,321 communes (xã), wards (phường) and special zones (đặc khu). The list ships offline in the
``vietnam-provinces`` package (``nested-divisions.json``), so importing a province needs no
network. Importing is idempotent: areas are matched by official code, then by name (NFC,
case-insensitive), and only what is missing is created; codes and division types are filled
in where an existing area lacks them. Older catalogs keep their districts; the new communes
sit directly under their province."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources

from sqlalchemy import select

from wardeye.catalog.database import Database
from wardeye.catalog.models import Area
from wardeye.core.bounds import clean_text
from wardeye.core.errors import InvalidInput

# The package's Vietnamese division types → WardEye's (see catalog.models.DIVISION_TYPES).
PACKAGE_TYPES = {
    "tỉnh": "tinh",
    "thành phố trung ương": "thanh_pho_trung_uong",
    "xã": "xa",
    "phường": "phuong",
    "đặc khu": "dac_khu",
    "thị trấn": "thi_tran",
}
NAME_PREFIXES = ("thành phố", "tỉnh", "tp.", "tp")  # "Tỉnh Điện Biên", "TP. Huế" → the name


@dataclass(frozen=True)
class Division:
    name: str  # official, with its prefix: "Xã Mường Phăng"
    code: str  # official code, zero-padded: 2 digits for a province, 5 for a commune
    division_type: str
    level: str


@dataclass(frozen=True)
class Province(Division):
    communes: tuple[Division, ...] = ()


@dataclass
class AreaImportReport:
    province: str
    province_id: int
    created: int = 0
    completed: int = 0  # existing areas given their official code or division type
    unchanged: int = 0
    created_names: list[str] = field(default_factory=list)


def _division_type(package_type: str) -> str:
    try:
        return PACKAGE_TYPES[clean_text(package_type).casefold()]
    except KeyError:
        raise InvalidInput(f"unknown division type {package_type!r} in the national list") from None


def national_list() -> list[Province]:
    """Every province with its communes, from the data shipped in ``vietnam-provinces``."""
    data = resources.files("vietnam_provinces").joinpath("data", "nested-divisions.json")
    provinces = []
    for item in json.loads(data.read_text(encoding="utf-8")):
        kind = _division_type(item["division_type"])
        name = clean_text(item["name"])
        if kind == "tinh" and not name.startswith("Tỉnh "):
            name = f"Tỉnh {name}"  # the list writes provinces bare, cities with "Thành phố"
        communes = tuple(
            Division(
                clean_text(w["name"]),
                f"{int(w['code']):05d}",
                _division_type(w["division_type"]),
                "commune",
            )
            for w in item["wards"]
        )
        provinces.append(Province(name, f"{int(item['code']):02d}", kind, "province", communes))
    return provinces


def _bare(name: str) -> str:
    """A name without its "Tỉnh"/"Thành phố" prefix, NFC, case-folded."""
    folded = " ".join(unicodedata.normalize("NFC", name).casefold().split())
    for prefix in NAME_PREFIXES:
        if folded.startswith(prefix + " "):
            return folded[len(prefix) + 1 :]
    return folded


def _ascii(name: str) -> str:
    """Fold "Điện Biên" to "dien_bien", for people typing without diacritics."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
        if not unicodedata.combining(c)
    )  # fmt: skip
    return re.sub(r"[^a-z0-9]+", "_", stripped.lower()).strip("_")


def _same_code(a: str | None, b: str) -> bool:
    if a is None:
        return False
    a = a.strip()
    if a.isascii() and a.isdigit() and b.isdigit():
        return int(a) == int(b)
    return a == b


def find_province(query: str, provinces: Iterable[Province] | None = None) -> Province:
    """By name with or without "Tỉnh"/"Thành phố", in any Unicode form or without diacritics,
    or by official code ("11" or "011" for Điện Biên)."""
    known = list(provinces if provinces is not None else national_list())
    wanted = query.strip()
    if not wanted:
        raise InvalidInput("give a province name or code", field="province")
    if wanted.isascii() and wanted.isdigit():
        matches = [p for p in known if _same_code(wanted, p.code)]
    else:
        bare = _bare(wanted)
        matches = [p for p in known if _bare(p.name) == bare]
        if not matches:
            plain = _ascii(bare)
            for prefix in ("tinh_", "thanh_pho_", "tp_"):
                plain = plain.removeprefix(prefix)
            matches = [p for p in known if _ascii(_bare(p.name)) == plain]
    if len(matches) != 1:
        raise InvalidInput(
            f"no province or centrally-run city called {query!r} in the 2025 list "
            "(try the name as written, e.g. 'Điện Biên', or its code, e.g. 11)",
            field="province",
        )
    return matches[0]


def _match(candidates: Iterable[Area], division: Division) -> Area | None:
    """The existing area this division is: same official code, else same name."""
    pool = list(candidates)
    for area in pool:
        if _same_code(area.code, division.code):
            return area
    bare = _bare(division.name)  # any level: (parent, name) is unique in the catalog
    for area in pool:
        if _bare(area.name) == bare:
            return area
    return None


class AreaImporter:
    def __init__(self, db: Database) -> None:
        self._db = db

    def import_province(
        self, province: Province, on_commune: Callable[[Division], None] | None = None
    ) -> AreaImportReport:
        """Create the province and every commune of it that is missing, in one transaction."""
        with self._db.session() as session:
            top = session.scalars(
                select(Area).where(Area.parent_id.is_(None), Area.level == "province")
            ).all()
            area = _match(top, province)
            report = AreaImportReport(province.name, 0)
            if area is None:
                area = Area(name=province.name, level="province", code=province.code,
                            division_type=province.division_type)  # fmt: skip
                session.add(area)
                session.flush()
                report.created += 1
                report.created_names.append(province.name)
            else:
                self._complete(area, province, report)
            report.province_id = area.id
            children = session.scalars(select(Area).where(Area.parent_id == area.id)).all()
            new: list[Area] = []
            for commune in province.communes:
                existing = _match(children, commune)
                if existing is None:
                    new.append(
                        Area(
                            name=commune.name,
                            level="commune",
                            parent_id=area.id,
                            code=commune.code,
                            division_type=commune.division_type,
                        )
                    )
                    report.created_names.append(commune.name)
                else:
                    self._complete(existing, commune, report)
                if on_commune is not None:
                    on_commune(commune)
            session.add_all(new)
            session.flush()
            report.created += len(new)
            return report

    @staticmethod
    def _complete(area: Area, division: Division, report: AreaImportReport) -> None:
        changed = False
        if area.code is None:
            area.code, changed = division.code, True
        if area.division_type is None and area.level == division.level:
            area.division_type, changed = division.division_type, True
        if changed:
            report.completed += 1
        else:
            report.unchanged += 1
