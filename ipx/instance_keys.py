"""Secrets the instance keeps on disk: the ledger signing key and the identity-digest key.

Both are created on first use (``ipx init`` or the first app start) with owner-only permissions.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)


def _write_secret(path: Path, data: bytes) -> None:
    """Write the file whole or not at all: the secret goes to a private temporary file first,
    which is then linked into place. Processes starting together (gunicorn workers, parallel
    tests) never read a half-written key; the one that loses the race gets FileExistsError
    and reads the winner's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)  # fails if the file exists: never overwrites a key
    finally:
        temporary.unlink()


def load_or_create_secret(path: str | Path, nbytes: int = 32) -> bytes:
    """Read a raw random secret, creating it if the file does not exist."""
    path = Path(path)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another worker created it first
            _write_secret(path, secrets.token_bytes(nbytes))
    return path.read_bytes()


@functools.cache
def registry_digest_key(path: str) -> bytes:
    """The instance's identity-digest key (``DIGEST_KEY_FILE``, created on first use), read once
    per process."""
    return load_or_create_secret(path)


def load_or_create_signing_key(path: str | Path) -> Ed25519PrivateKey:
    """Read the Ed25519 ledger signing key (PEM, PKCS#8), creating it if absent."""
    path = Path(path)
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        with contextlib.suppress(FileExistsError):
            _write_secret(path, pem)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key
