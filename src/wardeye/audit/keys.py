"""The site's Ed25519 key that signs audit checkpoints.

The private key lives in ``data_dir/site_key.ed25519`` (PKCS#8 PEM, mode 0600, the data
directory made 0700); the public key beside it in ``site_key.pub`` (SubjectPublicKeyInfo PEM),
so a third party can check the checkpoints with nothing but the public key, e.g.
``openssl pkeyutl -verify -pubin -inkey site_key.pub -rawin -in msg -sigfile sig``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PRIVATE_NAME = "site_key.ed25519"
PUBLIC_NAME = "site_key.pub"


class SiteKeyError(Exception):
    """The key file exists but cannot be read as an Ed25519 key."""


def _write_new(path: Path, data: bytes, mode: int) -> bool:
    """Write ``data`` to ``path`` only if nobody has: False when another process won."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # the umask may have taken bits away; be exact
        try:
            os.link(tmp, path)  # atomic, and refuses to replace an existing key
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink(missing_ok=True)


def make_private(directory: Path) -> None:
    """The data directory holds the catalog, keys and footage: its owner only."""
    directory.mkdir(parents=True, exist_ok=True)
    if directory.stat().st_mode & 0o077:
        os.chmod(directory, 0o700)


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_or_create_site_key(data_dir: Path) -> Ed25519PrivateKey:
    """The site key, generated on first use; two processes starting at once share one key."""
    path = data_dir / PRIVATE_NAME
    if not path.exists():
        make_private(data_dir)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_new(path, pem, 0o600)
    key = _read_private(path)
    pub = data_dir / PUBLIC_NAME
    expected = public_pem(key.public_key())
    stale = not pub.exists() or pub.read_bytes() != expected
    if stale and not _write_new(pub, expected, 0o644):
        tmp = pub.with_name(f".{pub.name}.new")
        tmp.write_bytes(expected)
        tmp.replace(pub)  # a stale or damaged public key is rewritten from the private one
    return key


def _read_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SiteKeyError(f"{path} is not a readable Ed25519 private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SiteKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (ValueError, TypeError) as exc:
        raise SiteKeyError(f"{path} is not a readable Ed25519 public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SiteKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def signature_ok(key: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    try:
        key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True
