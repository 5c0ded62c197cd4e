"""The credential key file and the cipher that seals stream URLs."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from wardeye.catalog.credentials import (
    KEY_FILE,
    PREFIX,
    CredentialCipher,
    CredentialKeyError,
    is_sealed,
    load_or_create_key,
    open_without_key,
)

URL = "rtsp://admin:Secr3t-pw@192.168.1.10:554/Streaming/Channels/101"


def test_seal_and_open(tmp_path: Path) -> None:
    cipher = CredentialCipher.in_directory(tmp_path)
    sealed = cipher.seal(URL)
    assert sealed.startswith(PREFIX) and is_sealed(sealed)
    assert "Secr3t" not in sealed and "192.168" not in sealed
    assert cipher.open(sealed) == URL
    assert cipher.seal(URL) != sealed  # a fresh IV each time: equal URLs do not show


def test_plain_values_from_before_encryption_are_read_as_they_are(tmp_path: Path) -> None:
    assert CredentialCipher.in_directory(tmp_path).open(URL) == URL
    assert open_without_key(URL) == URL


def test_key_file_is_private_and_made_once(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path / KEY_FILE)
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert load_or_create_key(tmp_path / KEY_FILE) == first
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no staging file left


def test_a_loose_key_file_is_tightened(tmp_path: Path) -> None:
    load_or_create_key(tmp_path / KEY_FILE)
    (tmp_path / KEY_FILE).chmod(0o644)
    load_or_create_key(tmp_path / KEY_FILE)
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600


def test_processes_starting_together_share_one_key(tmp_path: Path) -> None:
    keys: list[bytes] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(load_or_create_key(tmp_path / KEY_FILE))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1


def test_another_key_or_no_key_is_a_clear_error(tmp_path: Path) -> None:
    sealed = CredentialCipher.in_directory(tmp_path / "a").seal(URL)
    with pytest.raises(CredentialKeyError, match="another key"):
        CredentialCipher.in_directory(tmp_path / "b").open(sealed)
    with pytest.raises(CredentialKeyError, match=KEY_FILE):
        open_without_key(sealed)
