"""Stream URLs at rest: camera URLs carry ``user:password@``, so the catalog stores them
encrypted (Fernet: AES-128-CBC + HMAC-SHA256) under a key kept in the data directory beside
the site key, readable by the service account only. Someone who copies the catalog file (or
a PostgreSQL dump) without the data directory learns no camera password.

A stored value is ``enc1:<Fernet token>``; anything else is a plain URL written before
encryption existed (or by a catalog opened without a key) and is read as is."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE = "credentials.key"
PREFIX = "enc1:"  # no stream URL starts like this: "enc1" is not an accepted scheme


class CredentialKeyError(RuntimeError):
    """The catalog holds encrypted stream URLs this process cannot open."""


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


class CredentialCipher:
    def __init__(self, key: bytes, source: Path | None = None) -> None:
        self._fernet = Fernet(key)
        self.source = source

    @classmethod
    def in_directory(cls, directory: Path) -> CredentialCipher:
        """The key in ``directory``/credentials.key, generated (mode 0600) on first use."""
        return cls(load_or_create_key(directory / KEY_FILE), directory / KEY_FILE)

    def seal(self, plain: str) -> str:
        return PREFIX + self._fernet.encrypt(plain.encode()).decode("ascii")

    def open(self, stored: str) -> str:
        if not is_sealed(stored):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise CredentialKeyError(
                f"a stream URL in the catalog was encrypted with another key than {self.source}"
            ) from None


def open_without_key(stored: str) -> str:
    """What a catalog opened without a key (no data directory) reads."""
    if is_sealed(stored):
        raise CredentialKeyError(
            "the catalog's stream URLs are encrypted: open it with the data directory that "
            f"holds {KEY_FILE}"
        )
    return stored


def load_or_create_key(path: Path) -> bytes:
    """Read the key, or write a new one atomically: two processes starting at once (the web
    app and a recorder) end up with the same key, never with a half-written file."""
    with contextlib.suppress(FileNotFoundError):
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(staging, path)  # fails if another process won the race: use theirs
    finally:
        staging.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if os.name == "posix" and path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return key
