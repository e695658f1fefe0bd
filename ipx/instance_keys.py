"""Secrets the instance keeps on disk: the ledger signing key, the identity-digest key, the
console's session key, and the public halves of retired signing keys.

A key is created only for a database that holds nothing it secures: the digest key when the
database holds no records (every record's state and every identity number is digested with
it), the signing key when no checkpoint has been signed. A key file missing beside a database
that needs it stops the service and every command with ``MissingInstanceKey``: a new key would
make every honest record look tampered with (or every old checkpoint unverifiable). The cure is
to put the file back (``ipx restore``, or a copy), never to make a new one.

Files are written whole (a private temporary file, then linked or renamed into place) with
owner-only permissions, by ``ipx.atomic_files``: ``write_new_secret`` never overwrites a key
(processes starting together never read a half-written one; the one that loses the race gets
``FileExistsError`` and reads the winner's), ``replace_secret`` replaces one atomically
(rotation, a forced restore).
"""

from __future__ import annotations

import contextlib
import functools
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from ipx.atomic_files import replace_file as replace_secret
from ipx.atomic_files import write_new_file as write_new_secret
from ipx.errors import ServiceUnavailable
from ipx.ledger.disclosure import derive_blinding_key

#: Tables whose rows the digest key secures (a record is logged with its state digest).
DIGESTED_TABLES = ("ledger_entries", "parties")
#: Tables whose rows need the signing keys (signed checkpoints, the keyring).
SIGNED_TABLES = ("ledger_checkpoints", "ledger_signing_keys")


class MissingInstanceKey(ServiceUnavailable):
    """An instance key file is missing while the database holds what it secures.

    A client sees only that the service is unavailable; ``str()`` is the operator's message,
    naming the file and what to do."""

    def __init__(self, operator_message: str) -> None:
        super().__init__("An instance key is missing; the operator must restore it.")
        self.operator_message = operator_message

    def __str__(self) -> str:
        return self.operator_message


def _missing(what: str, path: Path, setting: str, holds: str) -> MissingInstanceKey:
    return MissingInstanceKey(
        f"the {what} {path} is missing, but the database holds {holds}. Put the file back "
        f"(ipx restore DIR restores it from a backup) or point {setting} at it. No new key is "
        "made: with one, every existing record would look tampered with."
    )


def load_or_create_secret(path: str | Path, nbytes: int = 32) -> bytes:
    """Read a raw random secret, creating it if the file does not exist (the console's session
    key: a new one only logs everyone out)."""
    path = Path(path)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another worker created it first
            write_new_secret(path, secrets.token_bytes(nbytes))
    return path.read_bytes()


# --- the identity-digest key ----------------------------------------------------------------------


def ensure_digest_key(path: str | Path, engine: Engine) -> None:
    """Create the digest key if it is missing and the database holds no records; raise
    ``MissingInstanceKey`` if it is missing and the database does."""
    path = Path(path)
    if path.exists():
        return
    if holds_rows(engine, DIGESTED_TABLES):
        engine.dispose()  # the app will not start: close the connection this check opened
        raise _missing(
            "identity-digest key", path, "IPX_DIGEST_KEY_FILE", "records digested with it"
        )
    load_or_create_secret(path)


@functools.cache
def registry_digest_key(path: str) -> bytes:
    """The instance's identity-digest key (``DIGEST_KEY_FILE``), read once per process. Never
    created here: ``ensure_digest_key`` (``create_app``, ``ipx init``) does that, and only for
    a database without records."""
    file = Path(path)
    if not file.exists():
        raise _missing("identity-digest key", file, "IPX_DIGEST_KEY_FILE", "records")
    return file.read_bytes()


@functools.cache
def ledger_blinding_key(path: str) -> bytes:
    """The ledger's blinding key (the keyed digests of non-public events in the public log),
    derived from the identity-digest key at ``path``: no file of its own to lose or back up."""
    return derive_blinding_key(registry_digest_key(path))


# --- the checkpoint signing key -------------------------------------------------------------------


def generate_signing_key() -> bytes:
    """A new Ed25519 private key as PEM (PKCS#8)."""
    return Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )


def load_signing_key(path: str | Path) -> Ed25519PrivateKey:
    """Read the Ed25519 ledger signing key (PEM, PKCS#8)."""
    path = Path(path)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def load_or_create_signing_key(path: str | Path) -> Ed25519PrivateKey:
    """Read the Ed25519 ledger signing key, creating it if absent (no database to consult:
    callers with one use ``ensure_signing_key``)."""
    path = Path(path)
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            write_new_secret(path, generate_signing_key())
    return load_signing_key(path)


def ensure_signing_key(path: str | Path, engine: Engine) -> Ed25519PrivateKey:
    """The signing key; created only if missing while no checkpoint has been signed."""
    path = Path(path)
    if not path.exists() and holds_rows(engine, SIGNED_TABLES):
        raise _missing("ledger signing key", path, "IPX_SIGNING_KEY_FILE", "signed checkpoints")
    return load_or_create_signing_key(path)


def retired_keys_path(signing_key_file: str | Path) -> Path:
    """The file of retired signing keys' public halves (Go verifier keys, one a line), beside
    the signing key: ``<SIGNING_KEY_FILE>.retired``."""
    path = Path(signing_key_file)
    return path.with_name(path.name + ".retired")


def read_retired_keys(signing_key_file: str | Path) -> list[str]:
    """The verifier keys of the retired signing keys (none when the file does not exist)."""
    path = retired_keys_path(signing_key_file)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def add_retired_key(signing_key_file: str | Path, verifier_key: str) -> None:
    """Remember a retired key's verifier key (before the key file is replaced)."""
    if verifier_key in read_retired_keys(signing_key_file):
        return
    path = retired_keys_path(signing_key_file)
    existing = path.read_bytes() if path.exists() else b""
    replace_secret(path, existing + verifier_key.encode("utf-8") + b"\n")


# --- which files, and whether the database needs them ---------------------------------------------


def instance_key_files(config: Mapping[str, Any]) -> dict[str, Path]:
    """The instance's key files by role (what ``ipx backup`` copies and ``ipx restore`` puts
    back): digest, signing, retired signing keys, console session."""
    return {
        "digest": Path(config["DIGEST_KEY_FILE"]),
        "signing": Path(config["SIGNING_KEY_FILE"]),
        "signing_retired": retired_keys_path(config["SIGNING_KEY_FILE"]),
        "session": Path(config["SESSION_KEY_FILE"]),
    }


def holds_rows(engine: Engine, tables: tuple[str, ...]) -> bool:
    """Whether any of the tables exists and has a row (a database not yet migrated has none)."""
    with engine.connect() as connection:
        present = [t for t in tables if inspect(connection).has_table(t)]
        return any(
            connection.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None
            for table in present
        )


def check_instance_keys(config: Mapping[str, Any], engine: Engine) -> None:
    """Raise ``MissingInstanceKey`` when a key file the database needs is missing (creates
    nothing: ``ipx serve`` and the other commands call this before they start)."""
    files = instance_key_files(config)
    if not files["digest"].exists() and holds_rows(engine, DIGESTED_TABLES):
        raise _missing(
            "identity-digest key",
            files["digest"],
            "IPX_DIGEST_KEY_FILE",
            "records digested with it",
        )
    if not files["signing"].exists() and holds_rows(engine, SIGNED_TABLES):
        raise _missing(
            "ledger signing key", files["signing"], "IPX_SIGNING_KEY_FILE", "signed checkpoints"
        )
