"""TOTP against the published test vectors: RFC 4226 appendix D (HOTP) and RFC 6238 appendix
B (TOTP, with SHA-1, SHA-256 and SHA-512, 8 digits), plus the ±1-step window."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from wardeye.signin import totp

RFC4226_KEY = b"12345678901234567890"
RFC4226_CODES = ["755224", "287082", "359152", "969429", "338314",
                 "254676", "287922", "162583", "399871", "520489"]  # fmt: skip

SEEDS: dict[totp.Digest, bytes] = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238 = [  # (unix time, sha1, sha256, sha512)
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize("counter", range(10))
def test_hotp_matches_rfc4226(counter: int) -> None:
    assert totp.hotp(RFC4226_KEY, counter) == RFC4226_CODES[counter]


@pytest.mark.parametrize(("unix", "sha1", "sha256", "sha512"), RFC6238)
def test_totp_matches_rfc6238(unix: int, sha1: str, sha256: str, sha512: str) -> None:
    moment = datetime.fromtimestamp(unix, UTC)
    for digest, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert totp.totp(SEEDS[digest], moment, digits=8, digest=digest) == expected  # type: ignore[arg-type]


def test_codes_one_step_either_side_are_accepted_and_no_further() -> None:
    key = totp.new_secret()
    now = datetime(2026, 3, 1, 8, 0, 15, tzinfo=UTC)
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        assert totp.matching_step(key, totp.hotp(key, step + offset), now) == step + offset
    for offset in (-3, -2, 2, 3):
        assert totp.matching_step(key, totp.hotp(key, step + offset), now) is None


def test_malformed_codes_are_refused() -> None:
    key = totp.new_secret()
    now = datetime(2026, 3, 1, tzinfo=UTC)
    good = totp.totp(key, now)
    assert totp.matching_step(key, f" {good[:3]} {good[3:]} ", now) is not None  # as typed
    for bad in ("", "12345", "1234567", "abcdef", "１２３４５６", good + "0"):
        assert totp.matching_step(key, bad, now) is None


def test_base32_round_trip_and_uri() -> None:
    key = totp.new_secret()
    text = totp.to_base32(key)
    assert "=" not in text and totp.from_base32(text.lower()) == key
    uri = totp.otpauth_uri(key, "cán bộ 1", "WardEye Điện Biên")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    query = parse_qs(parts.query)
    assert query["secret"] == [text] and query["issuer"] == ["WardEye Điện Biên"]
    assert query["digits"] == ["6"] and query["period"] == ["30"]
