"""Each user's TOTP second factor: enrol (the secret is shown once), confirm with a first code,
check codes at sign-in (±1 time step for clock drift; a code once accepted is refused again, so
a code seen over a shoulder cannot be replayed), remove."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update

from wardeye.catalog.database import Database
from wardeye.catalog.models import UserSecondFactor
from wardeye.core.clock import utc_now
from wardeye.core.errors import Conflict
from wardeye.signin import totp
from wardeye.signin.schemas import TotpEnrolment


class SecondFactorStore:
    def __init__(self, db: Database, issuer: str = "WardEye") -> None:
        self._db = db
        self._issuer = issuer

    def enabled(self, user_id: int) -> bool:
        with self._db.session() as session:
            row = session.get(UserSecondFactor, user_id)
            return row is not None and row.confirmed_at is not None

    def begin(
        self, user_id: int, account: str, reuse_within: timedelta | None = None
    ) -> TotpEnrolment:
        """A fresh secret awaiting confirmation (replacing an unconfirmed one). With
        ``reuse_within``, an unconfirmed secret made that recently is shown again instead, so
        reloading the enrolment page does not change the secret already typed into the app."""
        now = utc_now()
        with self._db.session() as session:
            row = session.get(UserSecondFactor, user_id)
            if row is not None and row.confirmed_at is not None:
                raise Conflict("a second factor is already set up; remove it first")
            if row is None:
                row = UserSecondFactor(user_id=user_id)
                session.add(row)
            elif reuse_within is not None and now - row.created_at <= reuse_within:
                key = totp.from_base32(row.secret)
                return TotpEnrolment(secret=row.secret,
                                     uri=totp.otpauth_uri(key, account, self._issuer))  # fmt: skip
            key = totp.new_secret()
            row.secret, row.last_step, row.created_at = totp.to_base32(key), None, now
        return TotpEnrolment(secret=totp.to_base32(key),
                             uri=totp.otpauth_uri(key, account, self._issuer))  # fmt: skip

    def confirm(self, user_id: int, code: str, at: datetime | None = None) -> bool:
        """The first code from the app proves it holds the secret; then it is required."""
        return self._accept(user_id, code, at or utc_now(), confirmed=False)

    def verify(self, user_id: int, code: str, at: datetime | None = None) -> bool:
        return self._accept(user_id, code, at or utc_now(), confirmed=True)

    def remove(self, user_id: int) -> bool:
        with self._db.session() as session:
            row = session.get(UserSecondFactor, user_id)
            if row is None:
                return False
            session.delete(row)
            return row.confirmed_at is not None

    def _accept(self, user_id: int, code: str, at: datetime, confirmed: bool) -> bool:
        with self._db.session() as session:
            row = session.get(UserSecondFactor, user_id)
            if row is None or (row.confirmed_at is not None) != confirmed:
                return False
            step = totp.matching_step(totp.from_base32(row.secret), code, at)
            if step is None:
                return False
            # One statement, so two requests racing with the same code cannot both win.
            claimed = session.execute(
                update(UserSecondFactor)
                .where(UserSecondFactor.user_id == user_id)
                .where(or_(UserSecondFactor.last_step.is_(None), UserSecondFactor.last_step < step))
                .values(last_step=step, confirmed_at=row.confirmed_at or utc_now())
            )
            return bool(getattr(claimed, "rowcount", 0))
