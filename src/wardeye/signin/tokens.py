"""API tokens for integrations: ``Authorization: Bearer wdy_…``. A token is 32 random bytes
shown once; the catalog keeps its SHA-256. It acts for its user, narrowed to its scopes (the
permissions it may use), until it expires or is revoked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from wardeye.catalog.database import Database
from wardeye.catalog.models import ApiToken
from wardeye.core.clock import utc_now
from wardeye.core.errors import InvalidInput, NotFound
from wardeye.signin.bearer import digest, new_secret
from wardeye.signin.schemas import TokenView

TOKEN_PREFIX = "wdy_"
_TOUCH = timedelta(seconds=60)


@dataclass(frozen=True)
class TokenGrant:
    """What a valid token lets its bearer do: act as ``user_id`` within ``scopes``."""

    token_id: int
    user_id: int
    scopes: frozenset[str]


def _view(row: ApiToken, now: datetime) -> TokenView:
    return TokenView(
        id=row.id, user_id=row.user_id, name=row.name, scopes=row.scopes.split(),
        created_by=row.created_by, created_at=row.created_at, expires_at=row.expires_at,
        last_used_at=row.last_used_at, revoked_at=row.revoked_at,
        active=row.revoked_at is None and row.expires_at > now,
    )  # fmt: skip


class TokenStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self,
        user_id: int,
        name: str,
        scopes: Iterable[str],
        expires_at: datetime,
        created_by: int | None,
    ) -> tuple[TokenView, str]:
        """The new token's listing and the token itself (the only time it is ever seen)."""
        now = utc_now()
        if expires_at <= now:
            raise InvalidInput("the expiry must be in the future", field="expires_at")
        secret = new_secret(TOKEN_PREFIX)
        with self._db.session() as session:
            row = ApiToken(user_id=user_id, name=name, token_hash=digest(secret),
                           scopes=" ".join(sorted(set(scopes))), created_by=created_by,
                           created_at=now, expires_at=expires_at)  # fmt: skip
            session.add(row)
            session.flush()
            return _view(row, now), secret

    def authenticate(self, secret: str) -> TokenGrant | None:
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 256:
            return None
        now = utc_now()
        with self._db.session() as session:
            row = session.scalars(
                select(ApiToken).where(ApiToken.token_hash == digest(secret))
            ).first()
            if row is None or row.revoked_at is not None or row.expires_at <= now:
                return None
            if row.last_used_at is None or now - row.last_used_at >= _TOUCH:
                row.last_used_at = now
            return TokenGrant(row.id, row.user_id, frozenset(row.scopes.split()))

    def get(self, token_id: int) -> TokenView:
        with self._db.session() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                raise NotFound(f"no token with id {token_id}")
            return _view(row, utc_now())

    def list_for(self, user_id: int) -> list[TokenView]:
        now = utc_now()
        with self._db.session() as session:
            rows = session.scalars(
                select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
            )
            return [_view(r, now) for r in rows]

    def revoke(self, token_id: int) -> TokenView:
        now = utc_now()
        with self._db.session() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                raise NotFound(f"no token with id {token_id}")
            if row.revoked_at is None:
                row.revoked_at = now
            return _view(row, now)
