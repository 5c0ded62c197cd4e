"""Users and their roles."""

from __future__ import annotations

from wardeye.catalog import areas as area_repo
from wardeye.catalog import users as user_repo
from wardeye.catalog.database import Database
from wardeye.catalog.models import User
from wardeye.core.errors import Conflict, InvalidInput
from wardeye.registry.passwords import hash_password, verify_password
from wardeye.registry.schemas import UserCreate, UserView

# A real hash to compare against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = hash_password("not-a-real-password")


def user_view(user: User) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        area_id=user.area_id,
        active=user.active,
    )


class UserService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, data: UserCreate) -> UserView:
        with self._db.session() as session:
            roles = user_repo.role_names(session)
            if data.role not in roles:
                raise InvalidInput(
                    f"unknown role {data.role!r}; choose one of {', '.join(roles)}", field="role"
                )
            if data.area_id is not None and area_repo.get(session, data.area_id) is None:
                raise InvalidInput(f"unknown area id {data.area_id}", field="area_id")
            if user_repo.get_by_username(session, data.username) is not None:
                raise Conflict(f"user {data.username!r} already exists")
            user = user_repo.add(
                session,
                username=data.username,
                password_hash=hash_password(data.password),
                role=data.role,
                display_name=data.display_name,
                area_id=data.area_id,
            )
            return user_view(user)

    def authenticate(self, username: str, password: str) -> UserView | None:
        with self._db.session() as session:
            user = user_repo.get_by_username(session, username)
            if user is None:
                verify_password(password, _DUMMY_HASH)
                return None
            if not user.active or not verify_password(password, user.password_hash):
                return None
            return user_view(user)

    def get(self, user_id: int) -> UserView | None:
        with self._db.session() as session:
            user = user_repo.get(session, user_id)
            return user_view(user) if user else None

    def list(self) -> list[UserView]:
        with self._db.session() as session:
            return [user_view(u) for u in user_repo.list_all(session)]
