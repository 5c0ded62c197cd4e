"""User repository."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from wardeye.catalog.models import Role, User, UserArea


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def list_all(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


def role_names(session: Session) -> list[str]:
    return list(session.scalars(select(Role.name).order_by(Role.name)))


def add(
    session: Session,
    username: str,
    password_hash: str,
    role: str,
    display_name: str = "",
    area_ids: Sequence[int] = (),
) -> User:
    user = User(username=username, password_hash=password_hash, role=role)
    user.display_name = display_name
    user.areas = [UserArea(area_id=a) for a in sorted(set(area_ids))]
    session.add(user)
    session.flush()
    return user


def set_areas(session: Session, user: User, area_ids: Sequence[int]) -> None:
    wanted = sorted(set(area_ids))
    if wanted != user.area_ids:
        user.areas = [UserArea(area_id=a) for a in wanted]
        session.flush()
