"""``ipx backup DIR``: a consistent copy of the database and the instance keys, with a manifest.

``DIR`` then holds:

- ``database.dump`` (PostgreSQL: ``pg_dump`` custom format) or ``database.sqlite3`` (SQLite's
  online backup API): one snapshot of the database, taken while the service keeps writing;
- ``keys/``: the instance key files (identity-digest key, checkpoint signing key, the retired
  signing keys' public halves, the console's session key) - secrets: keep ``DIR`` as private
  as ``instance/``;
- ``manifest.json``, written last: the latest checkpoint *in that snapshot* (tree size, root
  hash, signed note), the log's size, the schema revision, and the SHA-256 of every file.

Before copying, the log's current tree is signed, so the snapshot's latest checkpoint covers
(nearly) all of it. Restoring is ``ipx.ops.restore``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ipx.errors import LedgerInconsistent
from ipx.instance_keys import ensure_signing_key, instance_key_files
from ipx.ledger import store
from ipx.ledger.checkpoints import (
    CheckpointPolicy,
    LogSigner,
    latest_checkpoint,
    refresh_checkpoint,
)
from ipx.ops import pg_tools

MANIFEST = "manifest.json"
FORMAT, VERSION = "ipx-backup", 1
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
    _write_json(directory / MANIFEST, manifest)
    return manifest


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
        target = directory / KEY_FILES[role]
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle, path.open("rb") as source:
            shutil.copyfileobj(source, handle)
        copied[role] = KEY_FILES[role]
    return copied


def _digest(path: Path) -> dict:
    sha256 = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha256.update(block)
    return {"sha256": sha256.hexdigest(), "bytes": path.stat().st_size}


def _write_json(path: Path, data: dict) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_manifest(directory: Path) -> dict:
    """The backup's manifest, once every file it lists has its recorded SHA-256."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise BackupFailed(f"{directory} holds no {MANIFEST}: not a (complete) ipx backup")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupFailed(f"{path} is not an {FORMAT} version {VERSION} manifest")
    for relative, expected in manifest["files"].items():
        file = Path(directory) / relative
        if not file.is_file():
            raise BackupFailed(f"the backup lacks {relative}")
        if _digest(file)["sha256"] != expected["sha256"]:
            raise BackupFailed(f"{relative} does not match its SHA-256 in the manifest")
    return manifest
