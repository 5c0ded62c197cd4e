"""Bulk camera import from CSV: every row is checked first; nothing is written unless all pass.

The catalog is read once per import (areas, camera names) and rows are checked in memory,
so a file of thousands of rows takes a second, not a minute; more than ``MAX_IMPORT_ROWS``
rows are refused before any is checked. Names are compared in NFC."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.orm import Session

from wardeye.catalog import areas as area_repo
from wardeye.catalog import cameras as camera_repo
from wardeye.catalog.database import Database
from wardeye.catalog.models import Area
from wardeye.core.bounds import MAX_IMPORT_ROWS, clean_text
from wardeye.core.bus import EventBus
from wardeye.core.errors import WardEyeError
from wardeye.core.events import CameraRegistered
from wardeye.registry.schemas import CameraCreate

KNOWN_COLUMNS = {
    "name", "area", "area_id", "kind", "owner_name", "owner_phone", "consent_tier",
    "latitude", "longitude", "main_url", "sub_url", "enabled", "retention_days", "description",
}  # fmt: skip
AREA_SEPARATOR = "/"


@dataclass
class RowError:
    row: int  # line number in the file, header = 1
    name: str
    message: str


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Catalog:
    """What the import checks rows against, read once: every area and every camera name.
    One query each instead of a few per row (an 8 MB file has thousands of rows)."""

    def __init__(self, session: Session) -> None:
        self.areas = {a.id: a for a in area_repo.list_all(session)}
        self.children: dict[tuple[int | None, str], Area] = {}
        for area in self.areas.values():
            self.children.setdefault((area.parent_id, clean_text(area.name)), area)
        self.camera_names = {clean_text(n) for n in camera_repo.names(session)}

    def resolve(self, spec: str) -> Area:
        """An area is given by id, or by its path of names from the top: 'Tỉnh/Xã/Thôn'."""
        if spec.isascii() and spec.isdigit():
            area = self.areas.get(int(spec))
            if area is None:
                raise WardEyeError(f"unknown area id {spec[:20]}")
            return area
        parent: Area | None = None
        for name in (clean_text(part.strip()) for part in spec.split(AREA_SEPARATOR)):
            found = self.children.get((parent.id if parent else None, name))
            if found is None:
                raise WardEyeError(f"unknown area {spec!r} (no {name!r} there)")
            parent = found
        if parent is None:
            raise WardEyeError("area is empty")
        return parent


def _row_to_input(
    catalog: _Catalog, row: dict[str, str], allowed_area_ids: frozenset[int] | None = None
) -> CameraCreate:
    values: dict[str, object] = {k: v.strip() for k, v in row.items() if k and v and v.strip()}
    if None in row:
        raise WardEyeError("more values than columns in the header")
    area_spec = str(values.pop("area", values.pop("area_id", "")))
    if not area_spec:
        raise WardEyeError("area (id or path like Tỉnh/Xã/Thôn) is required")
    area = catalog.resolve(area_spec)
    if allowed_area_ids is not None and area.id not in allowed_area_ids:
        raise WardEyeError(f"unknown area {area_spec!r}")  # outside the importer's areas
    values["area_id"] = area.id
    if "enabled" in values:
        values["enabled"] = str(values["enabled"]).lower() in ("1", "true", "yes", "y", "có")
    return CameraCreate.model_validate(values)


def _explain(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            msg = str(err["msg"]).removeprefix("Value error, ")
            parts.append(f"{where}: {msg}" if where else msg)
        return "; ".join(parts)
    return str(exc)


class CameraImporter:
    def __init__(self, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus

    def import_csv(
        self, text: str, dry_run: bool = False, allowed_area_ids: frozenset[int] | None = None
    ) -> ImportReport:
        """``allowed_area_ids``: the importing admin's areas (None: every area); a row in any
        other area is refused as if that area did not exist."""
        report = ImportReport()
        if "\x00" in text:
            report.errors.append(RowError(1, "", "not a CSV file (it contains NUL bytes)"))
            return report
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        try:
            fieldnames = reader.fieldnames
            rows = list(itertools.islice(reader, MAX_IMPORT_ROWS + 1))
        except csv.Error as exc:
            report.errors.append(RowError(reader.line_num, "", f"not a valid CSV file ({exc})"))
            return report
        unknown = set(fieldnames or []) - KNOWN_COLUMNS
        if not fieldnames or "name" not in fieldnames:
            report.errors.append(
                RowError(1, "", "header must include at least name, area, main_url")
            )
            return report
        if unknown:
            listed = ", ".join(sorted(name[:40] for name in unknown)[:10])
            report.errors.append(RowError(1, "", f"unknown columns: {listed}"))
            return report
        if len(rows) > MAX_IMPORT_ROWS:
            too_many = (
                f"more than {MAX_IMPORT_ROWS:,} cameras in one file: "
                "split it and import the parts one by one"
            )
            report.errors.append(RowError(1, "", too_many))
            return report
        with self._db.session() as session:
            catalog = _Catalog(session)
            accepted: list[CameraCreate] = []
            seen: dict[str, int] = {}
            for index, row in enumerate(rows, start=2):
                name = (row.get("name") or "").strip()
                try:
                    data = _row_to_input(catalog, row, allowed_area_ids)
                    if data.name in seen:
                        raise WardEyeError(f"duplicate name, also on row {seen[data.name]}")
                    if data.name in catalog.camera_names:
                        raise WardEyeError(f"a camera named {data.name!r} already exists")
                    seen[data.name] = index
                    accepted.append(data)
                except (ValidationError, WardEyeError) as exc:
                    report.errors.append(RowError(index, name[:200], _explain(exc)))
            if report.errors or dry_run:
                return report
            created = camera_repo.add_many(session, [data.model_dump() for data in accepted])
            report.imported = [c.name for c in created]
            ids = [(c.id, c.name) for c in created]
        if self._bus is not None:
            for camera_id, name in ids:
                self._bus.publish(CameraRegistered(camera_id=camera_id, name=name))
        return report
