"""Users and their roles: validation shared by the API, the web app and the CLI. Who may
create or change whom is the access policy's call (``wardeye.access``), not this module's."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from sqlalchemy.orm import Session

from wardeye.catalog import areas as area_repo
from wardeye.catalog import users as user_repo
from wardeye.catalog.database import Database
from wardeye.catalog.models import User
from wardeye.core.errors import Conflict, InvalidInput, NotFound
from wardeye.registry.passwords import hash_password, verify_password
from wardeye.registry.schemas import UserCreate, UserUpdate, UserView

# A real hash to compare against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = hash_password("not-a-real-password")


def user_view(user: User) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        area_ids=user.area_ids,
        active=user.active,
    )


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class UserService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, data: UserCreate) -> UserView:
        with self._db.session() as session:
            self._check_role(session, data.role)
            self._check_areas(session, data.area_ids)
            if user_repo.get_by_username(session, data.username) is not None:
                raise Conflict(f"user {data.username!r} already exists")
            user = user_repo.add(
                session,
                username=data.username,
                password_hash=hash_password(data.password),
                role=data.role,
                display_name=_nfc(data.display_name),
                area_ids=data.area_ids,
            )
            return user_view(user)

    def update(self, user_id: int, data: UserUpdate) -> UserView:
        with self._db.session() as session:
            user = self._require(session, user_id)
            if data.role is not None:
                self._check_role(session, data.role)
                user.role = data.role
            if data.display_name is not None:
                user.display_name = _nfc(data.display_name)
            if data.area_ids is not None:
                self._check_areas(session, data.area_ids)
                user_repo.set_areas(session, user, data.area_ids)
            if data.active is not None:
                user.active = data.active
            session.flush()
            return user_view(user)

    def set_password(self, user_id: int, password: str) -> UserView:
        with self._db.session() as session:
            user = self._require(session, user_id)
            user.password_hash = hash_password(password)
            return user_view(user)

    def authenticate(self, username: str, password: str) -> UserView | None:
        with self._db.session() as session:
            user = user_repo.get_by_username(session, username)
            if user is None:
                verify_password(password, _DUMMY_HASH)
                return None
            if not verify_password(password, user.password_hash) or not user.active:
                return None
            return user_view(user)

    def get(self, user_id: int) -> UserView | None:
        with self._db.session() as session:
            user = user_repo.get(session, user_id)
            return user_view(user) if user else None

    def find(self, username: str) -> UserView | None:
        with self._db.session() as session:
            user = user_repo.get_by_username(session, username)
            return user_view(user) if user else None

    def list(self) -> list[UserView]:
        with self._db.session() as session:
            return [user_view(u) for u in user_repo.list_all(session)]

    @staticmethod
    def _require(session: Session, user_id: int) -> User:
        user = user_repo.get(session, user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id}")
        return user

    @staticmethod
    def _check_role(session: Session, role: str) -> None:
        roles = user_repo.role_names(session)
        if role not in roles:
            raise InvalidInput(f"unknown role {role!r}; choose one of {', '.join(roles)}", "role")

    @staticmethod
    def _check_areas(session: Session, area_ids: Sequence[int]) -> None:
        for area_id in area_ids:
            if area_repo.get(session, area_id) is None:
                raise InvalidInput(f"unknown area id {area_id}", field="area_ids")
