"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP) with the standard library's
hmac: a second factor any authenticator app can hold, without a new dependency."""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import datetime
from typing import Literal
from urllib.parse import quote, urlencode

Digest = Literal["sha1", "sha256", "sha512"]
STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits, the size RFC 4226 recommends for HMAC-SHA1


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def to_base32(secret: bytes) -> str:
    """What people type into an authenticator app: base32 without padding."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def from_base32(text: str) -> bytes:
    cleaned = text.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest: Digest = "sha1") -> str:
    """RFC 4226 section 5.3: HMAC over the 8-byte counter, dynamic truncation."""
    mac = hmac.digest(key, counter.to_bytes(8, "big"), digest)
    offset = mac[-1] & 0x0F
    code = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(code % 10**digits).zfill(digits)


def step_at(moment: datetime, step_seconds: int = STEP_SECONDS) -> int:
    return int(moment.timestamp()) // step_seconds


def totp(key: bytes, moment: datetime, digits: int = DIGITS, digest: Digest = "sha1") -> str:
    return hotp(key, step_at(moment), digits, digest)


def matching_step(key: bytes, code: str, moment: datetime, window: int = 1) -> int | None:
    """The time step (within ±``window`` steps of ``moment``, for clock drift) whose code is
    ``code``, else None. Every candidate is compared, in constant time."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    now = step_at(moment)
    found = None
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(hotp(key, step), code) and found is None:
            found = step
    return found


def otpauth_uri(key: bytes, account: str, issuer: str) -> str:
    """The ``otpauth://`` link authenticator apps read (usually from a QR code)."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode(
        {"secret": to_base32(key), "issuer": issuer, "algorithm": "SHA1",
         "digits": DIGITS, "period": STEP_SECONDS}
    )  # fmt: skip
    return f"otpauth://totp/{label}?{query}"
