"""Everything sign-in needs, built once by the composition root and handed to the API."""

from __future__ import annotations

from dataclasses import dataclass

from wardeye.catalog.database import Database
from wardeye.config.models import SigninConfig
from wardeye.signin.second_factor import SecondFactorStore
from wardeye.signin.sessions import SessionStore
from wardeye.signin.throttle import Throttle
from wardeye.signin.tokens import TokenStore


@dataclass(frozen=True)
class SigninServices:
    config: SigninConfig
    throttle: Throttle
    sessions: SessionStore
    second_factor: SecondFactorStore
    tokens: TokenStore

    @classmethod
    def build(cls, db: Database, config: SigninConfig, issuer: str = "WardEye") -> SigninServices:
        """``issuer``: the name authenticator apps show next to the account (the site name)."""
        return cls(
            config=config,
            throttle=Throttle(db, config),
            sessions=SessionStore(db, config),
            second_factor=SecondFactorStore(db, issuer),
            tokens=TokenStore(db),
        )

    def revoke_user(self, user_id: int) -> None:
        """For ``Administration(revoke_sessions=…)``: a disabled account, a new password or a
        new role ends every session of that user at once."""
        self.sessions.revoke_user(user_id)
