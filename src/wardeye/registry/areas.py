"""Area registry: create and list the administrative tree; seed it from the config. Names
arrive in NFC (the input shapes normalise them), so the same name typed composed or
decomposed under one parent is one name and the second is refused."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from wardeye.catalog import areas as area_repo
from wardeye.catalog.database import Database
from wardeye.catalog.models import AREA_LEVELS, Area
from wardeye.config.models import AreaSeed
from wardeye.core.bounds import clean_text
from wardeye.core.errors import Conflict, InvalidInput, NotFound
from wardeye.registry.schemas import AreaCreate, AreaView


def area_view(session: Session, area: Area) -> AreaView:
    return AreaView(
        id=area.id,
        name=area.name,
        level=area.level,
        parent_id=area.parent_id,
        code=area.code,
        division_type=area.division_type,
        path=area_repo.path_names(session, area),
        retention_days=area.retention_days,
    )


class AreaRegistry:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, data: AreaCreate) -> AreaView:
        with self._db.session() as session:
            self._check_parent(session, data)
            if area_repo.find(session, data.name, data.parent_id) is not None:
                raise Conflict(f"area {data.name!r} already exists there")
            area = area_repo.add(session, data.name, data.level, data.parent_id, data.code)
            area.retention_days = data.retention_days
            area.division_type = data.division_type
            return area_view(session, area)

    def list(self) -> list[AreaView]:
        with self._db.session() as session:
            return [area_view(session, a) for a in area_repo.list_all(session)]

    def get(self, area_id: int) -> AreaView:
        with self._db.session() as session:
            area = area_repo.get(session, area_id)
            if area is None:
                raise NotFound(f"no area with id {area_id}")
            return area_view(session, area)

    def seed(self, seeds: Sequence[AreaSeed]) -> int:
        """Create the configured tree where missing; returns how many areas were added."""
        added = 0
        with self._db.session() as session:
            stack: list[tuple[AreaSeed, int | None]] = [(s, None) for s in seeds]
            while stack:
                seed, parent_id = stack.pop(0)
                name = clean_text(seed.name)  # the config may be typed decomposed
                area = area_repo.find(session, name, parent_id)
                if area is None:
                    area = area_repo.add(session, name, seed.level, parent_id, seed.code)
                    added += 1
                stack.extend((child, area.id) for child in seed.children)
        return added

    def within(self, area_id: int, ancestor_id: int) -> bool:
        return area_within(self._db, area_id, ancestor_id)

    @staticmethod
    def _check_parent(session: Session, data: AreaCreate) -> None:
        if data.parent_id is None:
            return
        parent = area_repo.get(session, data.parent_id)
        if parent is None:
            raise InvalidInput(f"unknown parent area id {data.parent_id}", field="parent_id")
        if AREA_LEVELS.index(data.level) <= AREA_LEVELS.index(parent.level):
            raise InvalidInput(
                f"a {data.level} cannot sit inside a {parent.level} ({parent.name})",
                field="level",
            )


def area_within(db: Database, area_id: int, ancestor_id: int) -> bool:
    """True when ``area_id`` is ``ancestor_id`` or lies inside it."""
    with db.session() as session:
        return area_id in area_repo.subtree_ids(session, ancestor_id)
