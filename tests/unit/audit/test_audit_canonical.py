"""The canonical form anyone can recompute, and checkpoint lines and signatures."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wardeye.audit.canonical import GENESIS_HASH, canonical_json, content_of, iso_utc
from wardeye.audit.checkpoints import Checkpoint, CheckpointFile
from wardeye.audit.keys import (
    PRIVATE_NAME,
    PUBLIC_NAME,
    SiteKeyError,
    load_or_create_site_key,
    load_public_key,
)
from wardeye.audit.records import AuditAction, AuditRecord

AT = datetime(2026, 12, 2, 10, 30, tzinfo=timezone(timedelta(hours=7)))


def test_hash_is_sha256_of_sorted_compact_json_anyone_can_rebuild() -> None:
    record = AuditRecord(
        action=AuditAction.PLAYBACK, result="ok", user_id=4, username="Lò Văn A", camera_id=9,
        start=AT, reason="vụ 12", detail={"b": 1, "a": "x"}, at=AT,
    )  # fmt: skip
    content = content_of(record, 1, GENESIS_HASH)
    by_hand = {
        "seq": 1, "prev_hash": "0" * 64, "at": "2026-12-02T03:30:00.000000Z",
        "action": "playback", "result": "ok", "user_id": 4, "username": "Lò Văn A",
        "role": None, "client_address": None, "camera_id": 9, "object_type": None,
        "object_id": None, "start": "2026-12-02T03:30:00.000000Z", "end": None,
        "case_ref": None, "reason": "vụ 12", "detail": {"a": "x", "b": 1},
    }  # fmt: skip
    text = json.dumps(by_hand, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert content.canonical() == text
    assert content.digest() == hashlib.sha256(text.encode()).hexdigest()
    assert content.detail_json() == '{"a":"x","b":1}'


def test_every_field_changes_the_hash() -> None:
    base = content_of(AuditRecord(action=AuditAction.ACCESS, result="ok", at=AT), 5, "a" * 64)
    variants = [
        content_of(AuditRecord(action=AuditAction.ACCESS, result="ok", at=AT), 6, "a" * 64),
        content_of(AuditRecord(action=AuditAction.ACCESS, result="ok", at=AT), 5, "b" * 64),
        content_of(AuditRecord(action=AuditAction.EXPORT, result="ok", at=AT), 5, "a" * 64),
        content_of(AuditRecord(action=AuditAction.ACCESS, result="denied", at=AT), 5, "a" * 64),
        content_of(
            AuditRecord(action=AuditAction.ACCESS, result="ok", at=AT, detail={"k": None}),
            5,
            "a" * 64,
        ),
        content_of(
            AuditRecord(action=AuditAction.ACCESS, result="ok", at=AT + timedelta(microseconds=1)),
            5,
            "a" * 64,
        ),
    ]
    assert len({base.digest(), *(v.digest() for v in variants)}) == 1 + len(variants)


def test_text_is_made_storable() -> None:
    record = AuditRecord(action=AuditAction.SIGN_IN, result="failed", username="\x00\ud800ok",
                         detail={"x\x00": float("inf"), "n": 2**80})  # fmt: skip
    content = content_of(record, 1, GENESIS_HASH)
    assert content.username == "\ufffd?ok"
    assert json.loads(content.detail_json()) == {"x\ufffd": "inf", "n": 2**80}
    content.canonical().encode("utf-8")  # no lone surrogate left


def test_iso_utc_always_has_microseconds_and_z() -> None:
    assert iso_utc(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000000Z"
    assert iso_utc(AT) == "2026-12-02T03:30:00.000000Z"
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_checkpoint_line_round_trip_and_signature() -> None:
    key = Ed25519PrivateKey.generate()
    checkpoint = Checkpoint.sign(key, 42, "ab" * 32, AT)
    again = Checkpoint.from_line(checkpoint.line())
    assert again == checkpoint
    assert again.signed_by(key.public_key())
    assert not again.signed_by(Ed25519PrivateKey.generate().public_key())
    moved = Checkpoint(seq=43, hash=again.hash, at=again.at, signature=again.signature)
    assert not moved.signed_by(key.public_key())
    for bad in ("[]", "{}", '{"seq": true, "hash": "", "at": "x", "signature": ""}', "nope"):
        with pytest.raises(ValueError):
            Checkpoint.from_line(bad)


def test_checkpoint_file_reports_bad_lines(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    file = CheckpointFile(tmp_path)
    assert not file.read().exists
    file.append([Checkpoint.sign(key, 1, "a" * 64, AT), Checkpoint.sign(key, 2, "b" * 64, AT)])
    with open(file.path, "ab") as handle:
        handle.write(b"\xff\xfe garbage\n")
    file.append([Checkpoint.sign(key, 3, "c" * 64, AT)])
    contents = file.read()
    assert [c.seq for c in contents.checkpoints] == [1, 2, 3]
    assert contents.bad_lines == (3,)


def test_site_key_created_once_private_and_shared_by_racing_starters(tmp_path: Path) -> None:
    data = tmp_path / "data"
    keys: list[bytes] = []

    def start() -> None:
        key = load_or_create_site_key(data)
        keys.append(key.public_key().public_bytes_raw())

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1
    assert stat.S_IMODE(os.stat(data / PRIVATE_NAME).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    assert load_public_key(data / PUBLIC_NAME).public_bytes_raw() == keys[0]
    assert sorted(p.name for p in data.iterdir()) == [PRIVATE_NAME, PUBLIC_NAME]
    (data / PUBLIC_NAME).write_text("damaged")
    load_or_create_site_key(data)
    assert load_public_key(data / PUBLIC_NAME).public_bytes_raw() == keys[0]
    (data / PRIVATE_NAME).write_text("not a key")
    with pytest.raises(SiteKeyError):
        load_or_create_site_key(data)
