"""Signed checkpoints and the file outside the catalog that keeps a copy of each.

Someone who can write the catalog could cut the newest entries (and their checkpoint rows)
and the chain would still look whole; the file, one JSON line per checkpoint in
``data_dir/audit/checkpoints.jsonl``, still names the newest signed seq and hash, so the cut
shows. Copy the file (or forward it to a log host) to protect against an intruder who owns both."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wardeye.audit.canonical import canonical_json, checkpoint_message, iso_utc
from wardeye.audit.keys import make_private, signature_ok

FILE_DIR = "audit"
FILE_NAME = "checkpoints.jsonl"


@dataclass(frozen=True)
class Checkpoint:
    """The site key's word that entry ``seq`` had hash ``hash`` at time ``at``."""

    seq: int
    hash: str
    at: datetime
    signature: str  # hex

    @classmethod
    def sign(cls, key: Ed25519PrivateKey, seq: int, entry_hash: str, at: datetime) -> Checkpoint:
        signature = key.sign(checkpoint_message(seq, entry_hash, at)).hex()
        return cls(seq=seq, hash=entry_hash, at=at, signature=signature)

    def signed_by(self, key: Ed25519PublicKey) -> bool:
        return signature_ok(key, self.signature, checkpoint_message(self.seq, self.hash, self.at))

    def line(self) -> str:
        fields = {"at": iso_utc(self.at), "hash": self.hash, "seq": self.seq}
        return canonical_json({**fields, "signature": self.signature})

    @classmethod
    def from_line(cls, line: str) -> Checkpoint:
        """Raises ValueError for anything but a well-formed checkpoint line."""
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        seq, entry_hash, at, signature = (data.get(k) for k in ("seq", "hash", "at", "signature"))
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise ValueError("seq is not a positive integer")
        if not (isinstance(entry_hash, str) and isinstance(signature, str)):
            raise ValueError("hash or signature is not text")
        if not isinstance(at, str) or not at.endswith("Z"):
            raise ValueError("at is not a UTC time")
        moment = datetime.fromisoformat(at[:-1] + "+00:00")
        return cls(seq=seq, hash=entry_hash, at=moment, signature=signature)


@dataclass(frozen=True)
class FileContents:
    """What the checkpoint file says: the checkpoints, and the lines that are not ones."""

    exists: bool
    checkpoints: tuple[Checkpoint, ...]
    bad_lines: tuple[int, ...]  # 1-based line numbers

    def by_seq(self) -> dict[int, Checkpoint]:
        return {c.seq: c for c in self.checkpoints}


class CheckpointFile:
    """Append-only JSON lines; writers across processes take an exclusive ``flock``."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / FILE_DIR
        self.path = self.directory / FILE_NAME

    def append(self, checkpoints: Iterable[Checkpoint]) -> None:
        data = "".join(c.line() + "\n" for c in checkpoints).encode("utf-8")
        if not data:
            return
        make_private(self.directory)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock

    def read(self) -> FileContents:
        try:
            with open(self.path, "rb") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
                raw = handle.read()
        except FileNotFoundError:
            return FileContents(exists=False, checkpoints=(), bad_lines=())
        found: list[Checkpoint] = []
        bad: list[int] = []
        lines = raw.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for number, line in enumerate(lines, start=1):
            try:
                found.append(Checkpoint.from_line(line.decode("utf-8")))
            except (ValueError, UnicodeDecodeError):
                bad.append(number)
        return FileContents(exists=True, checkpoints=tuple(found), bad_lines=tuple(bad))
