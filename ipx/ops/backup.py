"""``ipx backup DIR``: a consistent copy of the database and the instance keys, with a manifest.

``DIR`` then holds:

- ``database.dump`` (PostgreSQL: ``pg_dump`` custom format) or ``database.sqlite3`` (SQLite's
  online backup API): one snapshot of the database, taken while the service keeps writing;
- ``keys/``: the instance key files (identity-digest key, checkpoint signing key, the retired
  signing keys' public halves, the console's session key) - secrets: keep ``DIR`` as private
  as ``instance/``;
- ``manifest.json``, written last: the latest checkpoint *in that snapshot* (tree size, root
  hash, signed note), the log's size, the schema revision, and the SHA-256 of every file;
  ``signature`` is the Ed25519 signature, by the log's signing key (the one in ``keys/``),
  over ``SIGNATURE_CONTEXT`` followed by the canonical JSON (``ipx.ledger.canonical``) of the
  manifest without its ``signature``; it names the key (``key_id``, ``public_key``,
  ``verifier_key``), which ``ipx backup`` also prints. ``read_manifest`` (``ipx restore``)
  checks that signature against public keys from *outside* the backup (the operator's
  ``--public-key``, or the target instance's own signing key): a key in ``keys/`` proves
  nothing, since whoever can swap it can fix its digest and sign again. It refuses a manifest
  not signed by a trusted key before it trusts any digest the manifest lists, and a version 1
  (unsigned) manifest unless the operator explicitly allows it.

Before copying, the log's current tree is signed, so the snapshot's latest checkpoint covers
(nearly) all of it. Restoring is ``ipx.ops.restore``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ipx.atomic_files import replace_file, write_new_file
from ipx.errors import LedgerInconsistent
from ipx.instance_keys import ensure_signing_key, instance_key_files, load_signing_key
from ipx.ledger import keyring, note, store
from ipx.ledger.canonical import canonical_json
from ipx.ledger.checkpoints import (
    CheckpointPolicy,
    LogSigner,
    latest_checkpoint,
    refresh_checkpoint,
)
from ipx.ops import pg_tools

MANIFEST = "manifest.json"
FORMAT, VERSION = "ipx-backup", 2  # 2: the manifest is signed
#: What the manifest's signature covers before its canonical JSON (a signature by the log's key
#: over a manifest can never be taken for one over anything else the key signs).
SIGNATURE_CONTEXT = b"ipx-backup manifest\n"
#: The refusal of a manifest whose signature does not verify (stable: operators may match it).
SIGNATURE_INVALID = (
    "the manifest's signature does not verify with the log's public key: the manifest "
    "was altered, re-signed by another key, or is not this log's backup"
)
#: The refusal when no key from outside the backup is there to check the signature (stable).
NO_TRUSTED_KEY = (
    "no public key to check the manifest's signature against: give the log's key with "
    "--public-key (base64, <name>+<id>+<key>, or a file as GET /api/v1/ledger/public-key "
    "serves it; ipx backup printed it), or restore into an instance that has the log's "
    "signing key"
)
#: The refusal of a version 1 (unsigned) backup without ``--allow-unsigned`` (stable).
UNSIGNED_REFUSED = (
    "the backup's manifest is version 1, unsigned: nothing shows it is the log's. "
    "Restore it only if you know where it came from, with --allow-unsigned"
)
#: The warning a restore of a version 1 backup with ``--allow-unsigned`` gives (stable).
UNSIGNED_WARNING = (
    "the backup is unsigned (version 1): its manifest was checked against no key, only its "
    "files against the manifest's digests"
)
UNSIGNED_VERSION = 1
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
KEY_FILES = {
    "digest": "keys/digest.key",
    "signing": "keys/signing.key",
    "signing_retired": "keys/signing.retired",
    "session": "keys/session.key",
}


class BackupFailed(RuntimeError):
    """The backup could not be made (nothing usable is left in ``DIR``: it has no manifest)."""


def backup(config: Mapping[str, Any], engine: Engine, directory: Path, now: datetime) -> dict:
    """Write a backup of the configured instance into ``directory``; return its manifest."""
    directory = Path(directory)
    _empty_directory(directory)
    warning = _sign_current_tree(config, engine, now)
    backend = engine.dialect.name
    if backend not in DATABASE_FILES:
        raise BackupFailed(f"no backup procedure for a {backend} database")
    database_file = directory / DATABASE_FILES[backend]
    if backend == "postgresql":
        state = _backup_postgresql(engine, database_file)
        state["tool"] = pg_tools.tool_version("pg_dump")
    else:
        state = _backup_sqlite(engine, database_file)
    keys = _copy_keys(config, directory)
    files = {DATABASE_FILES[backend]: _digest(database_file)}
    files.update({relative: _digest(directory / relative) for relative in keys.values()})
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "backend": backend,
        "database": DATABASE_FILES[backend],
        "origin": config["LEDGER_ORIGIN"],
        "key_name": config["LEDGER_KEY_NAME"],
        **state,
        "keys": keys,
        "files": files,
    }
    if warning:
        manifest["warning"] = warning
    signing_key = load_signing_key(directory / KEY_FILES["signing"])  # the copy: always there
    manifest["signature"] = sign_manifest(manifest, signing_key, config["LEDGER_KEY_NAME"])
    _write_json(directory / MANIFEST, manifest)
    return manifest


def sign_manifest(manifest: Mapping[str, Any], key: Ed25519PrivateKey, key_name: str) -> dict:
    """The manifest's ``signature`` member: Ed25519 over its canonical JSON (without it)."""
    public = key.public_key().public_bytes_raw()
    return {
        "algorithm": "Ed25519",
        "key_id": keyring.key_id_hex(key_name, public),
        "public_key": base64.b64encode(public).decode("ascii"),
        "verifier_key": note.verifier_key(key_name, public),
        "value": base64.b64encode(key.sign(_signed_bytes(manifest))).decode("ascii"),
    }


def _signed_bytes(manifest: Mapping[str, Any]) -> bytes:
    return SIGNATURE_CONTEXT + canonical_json(
        {name: value for name, value in manifest.items() if name != "signature"}
    )


def _check_signature(manifest: dict, trusted: Sequence[bytes]) -> None:
    """Refuse (``SIGNATURE_INVALID``) unless one of the ``trusted`` public keys (raw Ed25519,
    from outside the backup) signed this manifest; ``NO_TRUSTED_KEY`` without any."""
    if not trusted:
        raise BackupFailed(NO_TRUSTED_KEY)
    signature = manifest.get("signature")
    try:
        if not isinstance(signature, dict):
            raise ValueError("no signature")
        value = base64.b64decode(str(signature["value"]).encode("ascii"), validate=True)
        signed = _signed_bytes(manifest)
        for raw in dict.fromkeys(trusted):
            try:
                Ed25519PublicKey.from_public_bytes(raw).verify(value, signed)
                return
            except InvalidSignature:
                continue
    except (ValueError, TypeError, KeyError):
        pass
    raise BackupFailed(SIGNATURE_INVALID)


def _check_key_copy(directory: Path, manifest: dict) -> None:
    """The signing key copied into ``keys/`` must be the one that signed the manifest (the
    restored instance goes on signing with it)."""
    relative = manifest["keys"].get("signing")
    if relative is None:
        return
    try:
        public = load_signing_key(directory / relative).public_key().public_bytes_raw()
    except (OSError, ValueError) as exc:
        raise BackupFailed(f"the backup's {relative} is not a signing key: {exc}") from None
    if base64.b64encode(public).decode("ascii") != manifest["signature"].get("public_key"):
        raise BackupFailed(f"the backup's {relative} is not the key that signed its manifest")


def _empty_directory(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupFailed(f"{directory} exists and is not an empty directory")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    (directory / "keys").mkdir(mode=0o700)


def _sign_current_tree(config: Mapping[str, Any], engine: Engine, now: datetime) -> str | None:
    """Sign the log as it is now (if it grew), so the copy's latest checkpoint covers it."""
    signer = LogSigner(
        config["LEDGER_ORIGIN"],
        config["LEDGER_KEY_NAME"],
        ensure_signing_key(config["SIGNING_KEY_FILE"], engine),
    )
    try:
        refresh_checkpoint(engine, signer, CheckpointPolicy(0, 1), now, force=True)
    except LedgerInconsistent as exc:  # back it up anyway: the damage is evidence too
        return f"the log could not be signed before the backup: {exc}"
    return None


def _state(connection: Connection) -> dict:
    """What the manifest records of one snapshot: schema revision, log size, checkpoint."""
    with Session(bind=connection) as session:
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        checkpoint = latest_checkpoint(session)
        size = store.log_size(session)
    return {
        "schema_revision": revision,
        "log_size": size,
        "checkpoint": None
        if checkpoint is None
        else {
            "tree_size": checkpoint.tree_size,
            "root_hash": base64.b64encode(checkpoint.root_hash).decode("ascii"),
            "note": checkpoint.note,
            "signed_at": checkpoint.signed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }


def _backup_postgresql(engine: Engine, out: Path) -> dict:
    """``pg_dump`` of the snapshot a REPEATABLE READ transaction exports; the manifest's
    state is read in that same transaction, so both describe one instant."""
    reader = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with reader as connection, connection.begin():
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        state = _state(connection)
        pg_tools.dump(engine, snapshot, out)  # the snapshot lives while this transaction does
    os.chmod(out, 0o600)
    _sync_file(out)
    return state


def _backup_sqlite(engine: Engine, out: Path) -> dict:
    """SQLite's online backup API in one step (one read transaction: a consistent copy while
    writers carry on in the WAL); the state is then read from the copy itself."""
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise BackupFailed("an in-memory SQLite database cannot be backed up")
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    source = sqlite3.connect(source_path, timeout=30)
    target = sqlite3.connect(out)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        target.close()
        source.close()
    _sync_file(out)
    copy = create_engine(f"sqlite:///{out}")
    try:
        with copy.connect() as connection:
            return _state(connection)
    finally:
        copy.dispose()


def _copy_keys(config: Mapping[str, Any], directory: Path) -> dict[str, str]:
    copied = {}
    for role, path in instance_key_files(config).items():
        if not path.exists():
            continue
        # Whole, synced, owner-only and never over a file already there: a key copy lost
        # or torn by a crash would leave a backup whose log no key can sign on from.
        write_new_file(directory / KEY_FILES[role], path.read_bytes())
        copied[role] = KEY_FILES[role]
    return copied


def _sync_file(path: Path) -> None:
    """The database copy on disk before the manifest, written last, says the backup is whole."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _digest(path: Path) -> dict:
    sha256 = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha256.update(block)
    return {"sha256": sha256.hexdigest(), "bytes": path.stat().st_size}


def _write_json(path: Path, data: dict) -> None:
    """Whole or not at all, its name synced (the manifest, written last, is what makes ``DIR``
    a backup), owner-only like the rest of ``DIR``."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    replace_file(path, text.encode("utf-8"))


def read_manifest(
    directory: Path, trusted: Sequence[bytes], *, allow_unsigned: bool = False
) -> tuple[dict, str | None]:
    """The backup's manifest, once its signature verifies with one of the ``trusted`` public
    keys (raw Ed25519, never taken from the backup) and every file it lists has its recorded
    SHA-256; and a warning (a version 1 manifest, read only with ``allow_unsigned``)."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise BackupFailed(f"{directory} holds no {MANIFEST}: not a (complete) ipx backup")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    warning = None
    if manifest.get("format") == FORMAT and manifest.get("version") == UNSIGNED_VERSION:
        if not allow_unsigned:
            raise BackupFailed(UNSIGNED_REFUSED)
        warning = UNSIGNED_WARNING
    elif manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupFailed(f"{path} is not an {FORMAT} version {VERSION} manifest")
    else:
        _check_signature(manifest, trusted)  # before any digest it lists is trusted
    for relative, expected in manifest["files"].items():
        file = Path(directory) / relative
        if not file.is_file():
            raise BackupFailed(f"the backup lacks {relative}")
        if _digest(file)["sha256"] != expected["sha256"]:
            raise BackupFailed(f"{relative} does not match its SHA-256 in the manifest")
    if warning is None:
        _check_key_copy(Path(directory), manifest)
    return manifest, warning
