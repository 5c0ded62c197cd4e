"""Random bearer secrets (session ids, API tokens) and the one-way form the catalog keeps:
someone reading the catalog (or a backup of it) cannot sign in with what they find there."""

from __future__ import annotations

import hashlib
import secrets

SECRET_BYTES = 32


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
