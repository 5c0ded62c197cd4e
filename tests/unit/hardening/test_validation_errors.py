"""422 answers never echo what was submitted: real pydantic errors through api.errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from wardeye.api.errors import safe_errors
from wardeye.registry.schemas import CameraCreate, PasswordReset, UserCreate

PASSWORD = "Tr0ub4dor&3-horse"


def _errors(model: Any, body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return json.dumps(safe_errors(caught.value.errors()), ensure_ascii=False)


def _fragments(secret: str, size: int = 4) -> list[str]:
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


@pytest.mark.parametrize(
    "password",
    [
        "Sh0rt!",  # too short
        PASSWORD * 20,  # too long
        PASSWORD + "\x00",  # NUL
    ],
)
def test_rejected_password_never_appears_even_in_part(password: str) -> None:
    for model, body in (
        (UserCreate, {"username": "lan", "password": password, "role": "viewer"}),
        (PasswordReset, {"password": password}),
    ):
        answer = _errors(model, body)
        assert "password" in answer  # the field is named, so the person knows what to fix
        leaked = [f for f in _fragments(password.replace("\x00", "")) if f in answer]
        assert leaked == [], answer


def test_stream_url_errors_keep_the_credentials_out() -> None:
    answer = _errors(CameraCreate, {"name": "a", "area_id": 1,
                                    "main_url": f"rtsp://admin:{PASSWORD}/live"})  # fmt: skip
    assert "main_url" in answer
    assert [f for f in _fragments(PASSWORD) if f in answer] == [], answer


def test_no_input_ctx_or_url_is_kept() -> None:
    with pytest.raises(ValidationError) as caught:
        UserCreate.model_validate({"username": "x", "password": "short", "role": 3})
    for error in safe_errors(caught.value.errors()):
        assert set(error) == {"type", "loc", "msg"}


def test_quoted_fragments_of_the_input_are_hidden_in_any_field() -> None:
    raw = [{"type": "value_error", "loc": ("body", "name"), "input": "abc-secret-xyz",
            "msg": "Value error, cannot use 'secret-xyz' here"}]  # fmt: skip
    assert safe_errors(raw) == [
        {"type": "value_error", "loc": ["name"], "msg": "cannot use '…' here"}
    ]


def test_an_unknown_field_name_is_echoed_only_briefly() -> None:
    raw = [{"type": "extra_forbidden", "loc": ("body", "k" * 5000), "input": 1, "msg": "x"}]
    (error,) = safe_errors(raw)
    assert error["msg"] == "unknown field" and len(error["loc"][0]) <= 64
