"""Server-side sessions. The cookie carries a random id; the catalog keeps its SHA-256, who,
when, from where, and whether it was revoked. A session ends when its user signs out, when an
admin revokes it, after ``session_idle_seconds`` unused or ``session_absolute_seconds`` after
sign-in. A session half-way through sign-in (password given, code not yet) lives a few minutes
and authenticates nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from wardeye.catalog.database import Database
from wardeye.catalog.models import SigninSession
from wardeye.config.models import SigninConfig
from wardeye.core.clock import utc_now
from wardeye.signin.bearer import digest, new_secret
from wardeye.signin.schemas import SessionView, Stage

SESSION_COOKIE = "wardeye_sid"
_AGENT_CHARS = 300
_ADDRESS_CHARS = 64


@dataclass(frozen=True)
class ActiveSession:
    id: int
    user_id: int
    stage: Stage
    created_at: datetime


class SessionStore:
    def __init__(self, db: Database, config: SigninConfig) -> None:
        self._db = db
        self._config = config
        self._idle = timedelta(seconds=config.session_idle_seconds)
        self._absolute = timedelta(seconds=config.session_absolute_seconds)
        self._pending = timedelta(seconds=config.second_factor_step_seconds)
        # last_seen is written at most this often: a busy page must not write on every call.
        self._touch = min(timedelta(seconds=60), self._idle / 20)

    def create(
        self,
        user_id: int,
        stage: Stage = "full",
        client_address: str | None = None,
        user_agent: str | None = None,
    ) -> str:
        """A new session; returns the id for the cookie (the catalog never sees it)."""
        token = new_secret()
        now = utc_now()
        address = client_address[:_ADDRESS_CHARS] if client_address else None
        agent = user_agent[:_AGENT_CHARS] if user_agent else None
        with self._db.session() as session:
            session.add(
                SigninSession(token_hash=digest(token), user_id=user_id, stage=stage,
                              created_at=now, last_seen_at=now, client_address=address,
                              user_agent=agent)
            )  # fmt: skip
            horizon = now - self._absolute - timedelta(days=1)
            session.execute(delete(SigninSession).where(SigninSession.created_at < horizon))
        return token

    def find(self, token: str) -> ActiveSession | None:
        """The live session of a cookie, else None (unknown, revoked or expired)."""
        now = utc_now()
        with self._db.session() as session:
            row = self._row(session, token)
            if row is None or row.revoked_at is not None:
                return None
            expired = self._expired(row, now)
            if expired is not None:
                row.revoked_at, row.revoke_reason = now, expired
                return None
            if now - row.last_seen_at >= self._touch:
                row.last_seen_at = now
            return _active(row)

    def promote(self, token: str) -> str | None:
        """Finish sign-in: the half-way session becomes a full one under a new id (the id a
        page saw before the second factor never becomes a signed-in one)."""
        now = utc_now()
        fresh = new_secret()
        with self._db.session() as session:
            row = self._row(session, token)
            if row is None or row.revoked_at is not None or self._expired(row, now):
                return None
            row.token_hash, row.stage = digest(fresh), "full"
            row.created_at = row.last_seen_at = now
        return fresh

    def revoke(self, token: str, reason: str = "sign_out") -> ActiveSession | None:
        now = utc_now()
        with self._db.session() as session:
            row = self._row(session, token)
            if row is None or row.revoked_at is not None:
                return None
            row.revoked_at, row.revoke_reason = now, reason
            return _active(row)

    def revoke_session(self, user_id: int, session_id: int, reason: str = "sign_out") -> bool:
        return self._revoke_where(reason, SigninSession.user_id == user_id,
                                  SigninSession.id == session_id) > 0  # fmt: skip

    def revoke_user(self, user_id: int, reason: str = "revoked") -> int:
        """End every session of one user (an admin's revocation, a disabled account, a new
        password). Returns how many were open."""
        return self._revoke_where(reason, SigninSession.user_id == user_id)

    def revoke_all(self, reason: str = "revoked") -> int:
        return self._revoke_where(reason)

    def list_for(self, user_id: int, current_id: int | None = None) -> list[SessionView]:
        """The user's live, fully signed-in sessions, newest first."""
        now = utc_now()
        with self._db.session() as session:
            rows = session.scalars(
                select(SigninSession)
                .where(SigninSession.user_id == user_id, SigninSession.revoked_at.is_(None))
                .where(SigninSession.stage == "full")
                .order_by(SigninSession.created_at.desc())
            )
            return [_view(r, current_id) for r in rows if self._expired(r, now) is None]

    # -- inside --------------------------------------------------------------------------------

    def _revoke_where(self, reason: str, *conditions: ColumnElement[bool]) -> int:
        with self._db.session() as session:
            statement = (
                update(SigninSession)
                .where(SigninSession.revoked_at.is_(None), *conditions)
                .values(revoked_at=utc_now(), revoke_reason=reason)
            )
            return int(getattr(session.execute(statement), "rowcount", 0) or 0)

    @staticmethod
    def _row(session: Session, token: str) -> SigninSession | None:
        if not token or len(token) > 256:
            return None
        found = select(SigninSession).where(SigninSession.token_hash == digest(token))
        return session.scalars(found).first()

    def _expired(self, row: SigninSession, now: datetime) -> str | None:
        """Why this session has ended by now, or None."""
        if row.stage != "full":
            return "unfinished" if now - row.created_at > self._pending else None
        if now - row.created_at > self._absolute:
            return "expired"
        if now - row.last_seen_at > self._idle:
            return "idle"
        return None


def _view(row: SigninSession, current_id: int | None) -> SessionView:
    return SessionView(
        id=row.id, user_id=row.user_id, created_at=row.created_at, last_seen_at=row.last_seen_at,
        client_address=row.client_address, user_agent=row.user_agent, current=row.id == current_id,
    )  # fmt: skip


def _active(row: SigninSession) -> ActiveSession:
    return ActiveSession(row.id, row.user_id, cast(Stage, row.stage), row.created_at)
