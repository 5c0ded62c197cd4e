"""Failed sign-ins slow down, then lock, per account name and per client address.

After ``free_failures`` failures each next try must wait ``delay_base * 2**k`` seconds (capped);
after ``lockout_failures`` sign-in is locked for ``lockout_seconds``. A refused try is not
checked at all (no password comparison), so guessing costs the guesser time, not the server.
Counters live in the catalog: they survive restarts and hold across processes. Every check
takes the two rows' write lock first, and a try admitted past the free failures holds the
next one back while its password is being checked, so parallel guesses queue up too."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from wardeye.catalog.database import Database
from wardeye.catalog.models import SigninThrottle
from wardeye.config.models import SigninConfig
from wardeye.core.clock import utc_now

ACCOUNT, ADDRESS = "account", "address"
_MAX_KEY = 128
Key = tuple[str, str]


def _fit(text: str) -> str:
    if len(text) <= _MAX_KEY:
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def account_key(username: str) -> Key:
    """One counter per name as a person would read it: "Admin" and "admin" count together."""
    return ACCOUNT, _fit(unicodedata.normalize("NFC", username).casefold())


def address_key(address: str | None) -> Key:
    return ADDRESS, _fit(address or "unknown")


@dataclass(frozen=True)
class Refusal:
    """Try again in ``retry_after`` seconds; ``locked``: a lockout rather than a delay."""

    retry_after: float
    locked: bool


@dataclass(frozen=True)
class Lockout:
    """A lockout that has just started (for the audit)."""

    kind: str
    key: str
    failures: int
    until: datetime


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    locked_until: datetime | None
    next_allowed_at: datetime | None


class Throttle:
    def __init__(self, db: Database, config: SigninConfig) -> None:
        self._db = db
        self._config = config

    # -- the three moments of a try ------------------------------------------------------------

    def admit(self, username: str, address: str | None) -> Refusal | None:
        """None: go on and check the credentials. Otherwise the try is refused unchecked."""
        now = utc_now()
        with self._db.session() as session:
            rows = self._locked(session, [account_key(username), address_key(address)])
            for row in rows:
                self._settle(row, now)
            waits = [w for w in (self._wait(row, now) for row in rows) if w is not None]
            if waits:
                return max(waits, key=lambda r: r.retry_after)
            for row in rows:  # hold parallel tries back while this one is checked
                row.next_allowed_at = self._after(now, row.failures + 1)
            self._drop_empty(session, rows)
            return None

    def failed(self, username: str, address: str | None) -> list[Lockout]:
        """Count a wrong password (or code); returns the lockouts this failure starts."""
        now = utc_now()
        started: list[Lockout] = []
        with self._db.session() as session:
            for row in self._locked(session, [account_key(username), address_key(address)]):
                self._settle(row, now)
                was_locked = row.locked_until is not None and row.locked_until > now
                row.failures += 1
                row.last_failure_at = now
                if row.failures >= self._config.lockout_failures:
                    row.locked_until = now + timedelta(seconds=self._config.lockout_seconds)
                    row.next_allowed_at = None
                    if not was_locked:
                        started.append(Lockout(row.kind, row.key, row.failures, row.locked_until))
                else:
                    row.next_allowed_at = self._after(now, row.failures)
            forget = now - timedelta(seconds=self._config.forget_failures_after_seconds)
            session.execute(
                delete(SigninThrottle).where(
                    SigninThrottle.last_failure_at < forget,
                    or_(SigninThrottle.locked_until.is_(None), SigninThrottle.locked_until < now),
                )
            )
        return started

    def passed(self, username: str, address: str | None) -> None:
        """Right credentials: lift the hold this try put on both rows (the counts stay, so
        a known password does not buy unlimited guesses at the second factor)."""
        now = utc_now()
        with self._db.session() as session:
            rows = self._locked(session, [account_key(username), address_key(address)])
            for row in rows:
                self._settle(row, now)
                if row.locked_until is None:
                    row.next_allowed_at = self._after(row.last_failure_at, row.failures)
            self._drop_empty(session, rows)

    def succeeded(self, username: str, address: str | None) -> None:
        """A complete sign-in clears the account's count (not the address's: one good
        password from a shared address must not wipe the guesses made from it)."""
        self.passed(username, address)
        self._clear([account_key(username)])

    # -- administration ------------------------------------------------------------------------

    def unlock_account(self, username: str) -> bool:
        return self._clear([account_key(username)])

    def unlock_address(self, address: str) -> bool:
        return self._clear([address_key(address)])

    def state(self, username: str) -> ThrottleState:
        return self._state(account_key(username))

    def address_state(self, address: str) -> ThrottleState:
        return self._state(address_key(address))

    # -- inside --------------------------------------------------------------------------------

    def _state(self, key: Key) -> ThrottleState:
        now = utc_now()
        with self._db.session() as session:
            row = session.get(SigninThrottle, key)
            if row is None:
                return ThrottleState(0, None, None)
            self._settle(row, now)
            state = ThrottleState(row.failures, row.locked_until, row.next_allowed_at)
            session.rollback()  # reading only: leave the settling to the next real try
            return state

    def _clear(self, keys: Iterable[Key]) -> bool:
        """Forget the rows of ``keys``; True if one of them counted a failure or a lock."""
        now = utc_now()
        cleared = False
        with self._db.session() as session:
            for key in keys:
                row = session.get(SigninThrottle, key)
                if row is None:
                    continue
                self._settle(row, now)
                cleared = cleared or row.failures > 0 or row.locked_until is not None
                session.delete(row)
        return cleared

    def _locked(self, session: Session, keys: list[Key]) -> list[SigninThrottle]:
        """The rows of ``keys``, created if missing, under the write lock. Writing first
        matters on SQLite: the transaction then holds the lock before it reads anything."""
        values = [{"kind": k, "key": v, "failures": 0} for k, v in keys]
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            session.execute(
                postgresql.insert(SigninThrottle).values(values).on_conflict_do_nothing()
            )
        else:
            session.execute(sqlite.insert(SigninThrottle).values(values).on_conflict_do_nothing())
        query = (
            select(SigninThrottle)
            .where(or_(*(and_(SigninThrottle.kind == k, SigninThrottle.key == v) for k, v in keys)))
            .order_by(SigninThrottle.kind, SigninThrottle.key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list(session.scalars(query))

    def _settle(self, row: SigninThrottle, now: datetime) -> None:
        """A served lockout, or failures long forgotten, start the count afresh."""
        if row.locked_until is not None and row.locked_until <= now:
            row.failures, row.locked_until, row.next_allowed_at = 0, None, None
        forget = timedelta(seconds=self._config.forget_failures_after_seconds)
        last = row.last_failure_at
        if last is not None and now - last > forget and row.locked_until is None:
            row.failures, row.next_allowed_at = 0, None

    def _wait(self, row: SigninThrottle, now: datetime) -> Refusal | None:
        if row.locked_until is not None and row.locked_until > now:
            return Refusal((row.locked_until - now).total_seconds(), locked=True)
        if row.next_allowed_at is not None and row.next_allowed_at > now:
            return Refusal((row.next_allowed_at - now).total_seconds(), locked=False)
        return None

    def _after(self, moment: datetime | None, failures: int) -> datetime | None:
        """When the next try may come, counting from ``moment``, after ``failures``."""
        delay = self._delay(failures)
        return moment + timedelta(seconds=delay) if delay and moment is not None else None

    def _delay(self, failures: int) -> float:
        """Seconds the next try waits after ``failures`` failures."""
        beyond = failures - self._config.free_failures
        if beyond < 0:
            return 0.0
        delay = self._config.delay_base_seconds * 2.0 ** min(beyond, 64)
        return min(delay, self._config.max_delay_seconds)

    @staticmethod
    def _drop_empty(session: Session, rows: list[SigninThrottle]) -> None:
        """Rows that count nothing are not kept: the table holds only names with failures."""
        for row in rows:
            if row.failures == 0 and row.next_allowed_at is None and row.locked_until is None:
                session.delete(row)
