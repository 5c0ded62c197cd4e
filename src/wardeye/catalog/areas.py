"""Area repository: the province › district › commune › village tree."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from wardeye.catalog.models import Area


def get(session: Session, area_id: int) -> Area | None:
    return session.get(Area, area_id)


def find(session: Session, name: str, parent_id: int | None) -> Area | None:
    query = select(Area).where(Area.name == name)
    query = query.where(
        Area.parent_id.is_(None) if parent_id is None else Area.parent_id == parent_id
    )
    return session.scalars(query).first()


def list_all(session: Session) -> Sequence[Area]:
    return session.scalars(select(Area).order_by(Area.id)).all()


def add(session: Session, name: str, level: str, parent_id: int | None, code: str | None) -> Area:
    area = Area(name=name, level=level, parent_id=parent_id, code=code)
    session.add(area)
    session.flush()
    return area


def subtree_ids(session: Session, root_id: int) -> set[int]:
    """Ids of an area and everything below it (villages of a commune, communes of a district)."""
    children: dict[int | None, list[int]] = {}
    for area_id, parent_id in session.execute(select(Area.id, Area.parent_id)):
        children.setdefault(parent_id, []).append(area_id)
    found, stack = set(), [root_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def path_names(session: Session, area: Area) -> list[str]:
    """Names from the province down to this area, for display."""
    names: list[str] = []
    node: Area | None = area
    seen: set[int] = set()
    while node is not None and node.id not in seen:
        seen.add(node.id)
        names.append(node.name)
        node = session.get(Area, node.parent_id) if node.parent_id is not None else None
    return list(reversed(names))
