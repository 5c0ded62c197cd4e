"""Request shapes refuse what the catalog cannot hold and normalise names to NFC."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from pydantic import ValidationError

from wardeye.core.bounds import MAX_KEY, MAX_RETENTION_DAYS
from wardeye.registry.schemas import (
    AreaCreate,
    CameraCreate,
    CameraUpdate,
    PasswordReset,
    UserCreate,
    UserUpdate,
    check_stream_url,
)

NFC = "Xã Mường Phăng"
NFD = unicodedata.normalize("NFD", NFC)
URL = "rtsp://admin:pw@10.0.0.2/ch1"


def _camera(**extra: Any) -> dict[str, Any]:
    return {"name": "Cổng chợ", "area_id": 1, "main_url": URL, **extra}


def test_nfd_and_nfc_spellings_differ_as_bytes() -> None:
    assert NFC != NFD  # the test below would prove nothing otherwise


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (AreaCreate, {"name": NFD, "level": "commune", "parent_id": 1}, "name"),
        (CameraCreate, _camera(name=NFD), "name"),
        (CameraCreate, _camera(description=NFD), "description"),
        (CameraUpdate, {"name": NFD}, "name"),
        (
            UserCreate,
            {"username": "lan", "password": "x" * 8, "role": "viewer", "display_name": NFD},
            "display_name",
        ),
    ],
)
def test_names_are_stored_in_nfc(model: Any, body: dict[str, Any], field: str) -> None:
    assert getattr(model.model_validate(body), field) == NFC


def test_secrets_and_urls_are_kept_byte_for_byte() -> None:
    password = unicodedata.normalize("NFD", "mật khẩu rất dài")
    user = UserCreate(username="lan", password=password, role="viewer")
    assert user.password == password  # sign-in compares what the person types, unchanged
    url = f"rtsp://admin:{password}@10.0.0.2/ch1".replace(" ", "")
    assert CameraCreate.model_validate(_camera(main_url=url)).main_url == url


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (AreaCreate, {"name": "Xã\x00", "level": "commune"}),
        (CameraCreate, _camera(name="a\x00b")),
        (CameraCreate, _camera(main_url="rtsp://a:b@host/\x00")),
        (CameraUpdate, {"description": "\x00"}),
        (UserCreate, {"username": "lan", "password": "abcdefgh\x00", "role": "viewer"}),
        (PasswordReset, {"password": "abcdefgh\x00"}),
    ],
)
def test_nul_bytes_are_refused(model: Any, body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(body)


@pytest.mark.parametrize("value", [0, -1, MAX_KEY + 1, 2**63, 2**64, 10**30])
@pytest.mark.parametrize(
    ("model", "body"),
    [
        (CameraCreate, lambda v: _camera(area_id=v)),
        (CameraCreate, lambda v: _camera(owner_user_id=v)),
        (CameraUpdate, lambda v: {"area_id": v}),
        (AreaCreate, lambda v: {"name": "Xã A", "level": "commune", "parent_id": v}),
        (
            UserCreate,
            lambda v: {"username": "lan", "password": "x" * 8, "role": "viewer", "area_ids": [v]},
        ),
        (UserUpdate, lambda v: {"area_ids": [1, v]}),
    ],
)
def test_ids_outside_the_key_range_are_refused(model: Any, body: Any, value: int) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(body(value))


def test_ids_at_the_edges_of_the_range_are_accepted() -> None:
    assert CameraCreate.model_validate(_camera(area_id=MAX_KEY)).area_id == MAX_KEY
    assert UserUpdate(area_ids=[1, MAX_KEY]).area_ids == [1, MAX_KEY]


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 1e309])
@pytest.mark.parametrize("field", ["latitude", "longitude", "retention_days"])
def test_floats_must_be_finite(field: str, value: float) -> None:
    extra: dict[str, Any] = {field: value}
    if field != "retention_days":
        extra.update({"latitude": 1.0, "longitude": 1.0, field: value})
    with pytest.raises(ValidationError):
        CameraCreate.model_validate(_camera(**extra))


def test_retention_has_an_upper_bound() -> None:
    assert CameraCreate.model_validate(_camera(retention_days=MAX_RETENTION_DAYS))
    for model, body in (
        (CameraCreate, _camera(retention_days=MAX_RETENTION_DAYS + 1)),
        (CameraUpdate, {"retention_days": 1e300}),
        (AreaCreate, {"name": "A", "level": "province", "retention_days": 10**9}),
    ):
        with pytest.raises(ValidationError):
            model.model_validate(body)


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://admin:S3cretPass/x",  # no host: urllib takes the password for a port
        "rtsp://admin:S3cretPass@cam:12ab/x",
        "rtsp://admin:S3cretPass@[::1/x",
    ],
)
def test_malformed_stream_urls_are_explained_without_the_password(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_stream_url(url)
    assert "S3cret" not in str(caught.value) and "12ab" not in str(caught.value)


def test_division_type_must_fit_the_level() -> None:
    assert AreaCreate(name="Xã A", level="commune", division_type="xa").division_type == "xa"
    assert AreaCreate(name="Đặc khu Cô Tô", level="commune", division_type="dac_khu")
    with pytest.raises(ValidationError, match="a province is one of"):
        AreaCreate(name="Tỉnh A", level="province", division_type="xa")
