"""Which Origin/Referer values count as "this site" for a state-changing request."""

from __future__ import annotations

import pytest

from wardeye.signin.origin import normalise_origin, same_site

NONE: frozenset[str] = frozenset()


@pytest.mark.parametrize(
    ("origin", "referer", "host", "expected"),
    [
        ("http://cams.local:8080", None, "cams.local:8080", True),
        ("https://cams.example.vn", None, "cams.example.vn", True),  # behind a TLS proxy
        ("HTTPS://Cams.Example.VN", None, "cams.example.vn", True),
        ("http://cams.local:8080", None, "cams.local:9090", False),
        ("https://evil.example", None, "cams.example.vn", False),
        ("https://cams.example.vn.evil.example", None, "cams.example.vn", False),
        ("null", None, "cams.example.vn", False),
        ("not a url", None, "cams.example.vn", False),
        (None, "https://cams.example.vn/cameras?x=1", "cams.example.vn", True),
        (None, "https://evil.example/cams.example.vn", "cams.example.vn", False),
        ("https://evil.example", "https://cams.example.vn/", "cams.example.vn", False),
        (None, None, "cams.example.vn", None),
        ("http://[::1]:8080", None, "[::1]:8080", True),
    ],
)
def test_same_site(
    origin: str | None, referer: str | None, host: str, expected: bool | None
) -> None:
    assert same_site(origin, referer, host, NONE) is expected


def test_configured_origins() -> None:
    allowed = frozenset({normalise_origin("https://Portal.Example.VN/")})
    assert same_site("https://portal.example.vn", None, "10.0.0.5:8080", allowed) is True
    assert same_site("https://portal.example.vn:444", None, "10.0.0.5:8080", allowed) is False
    with pytest.raises(ValueError):
        normalise_origin("portal.example.vn")
