"""``ipx restore DIR``: a backup (``ipx.ops.backup``) into an empty database, and its keys into
the instance.

The manifest's signature is checked against the log's public key from outside the backup:
the operator's ``--public-key`` (base64, a ``<name>+<id>+<key>`` verifier key, or a file: the
key list ``GET /api/v1/ledger/public-key`` serves, or one key as text), else the target
instance's own signing key (and its retired ones) when it has one; with neither it is refused
(``NO_TRUSTED_KEY``). A version 1 (unsigned) backup is refused unless ``--allow-unsigned``.

Refused, with the reason, when the manifest or a file's SHA-256 does not check out, when the
backup is of the other backend or of a schema this code does not know, when the target
database holds any table, or when a key file already in the instance differs from the
backup's. ``--force`` replaces the target's tables and those key files; it is for an operator
who knows the target is expendable (stop the service first). Keys go in first (a rerun finds
them identical), then the database, in one transaction on PostgreSQL; finally the restored
database's latest checkpoint must be the manifest's. (The console's session key is replaced
even without ``--force``: a different one only logs console users out.)
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ipx.instance_keys import (
    instance_key_files,
    load_signing_key,
    read_retired_keys,
    replace_secret,
    write_new_secret,
)
from ipx.ledger.checkpoints import latest_checkpoint
from ipx.ledger.note import InvalidKey, parse_verifier_key
from ipx.migrate import alembic_config
from ipx.ops import pg_tools
from ipx.ops.backup import read_manifest

#: Keys a restore may replace without --force: a new session key only logs console users out.
HARMLESS_TO_REPLACE = frozenset({"session"})


class RestoreRefused(RuntimeError):
    """The restore was not done (nothing was changed), and why."""


@dataclass(frozen=True)
class Restored:
    """What was restored: the checkpoint the database now ends with, and the keys put back."""

    tree_size: int | None
    root_hash: str | None
    schema_revision: str
    keys: list[str]
    #: Set when a version 1 (unsigned) backup was restored with ``allow_unsigned``.
    warning: str | None = None


def restore(
    config: Mapping[str, Any],
    engine: Engine,
    directory: Path,
    *,
    force: bool = False,
    public_keys: Sequence[str] = (),
    allow_unsigned: bool = False,
) -> Restored:
    """Restore the backup in ``directory`` into the configured database and instance.

    ``public_keys`` are the operator's ``--public-key`` values; without any, the target
    instance's signing key files are the trusted keys."""
    directory = Path(directory)
    trusted = operator_keys(public_keys) if public_keys else instance_public_keys(config)
    manifest, warning = read_manifest(directory, trusted, allow_unsigned=allow_unsigned)
    backend = engine.dialect.name
    if manifest["backend"] != backend:
        raise RestoreRefused(
            f"the backup is of a {manifest['backend']} database and the target is {backend}: "
            "restore into the same kind of database"
        )
    _known_revision(engine, manifest["schema_revision"])
    if backend == "sqlite" and engine.url.database:  # a new file may go in a new folder
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    tables = _tables(engine)
    if tables and not force:
        raise RestoreRefused(
            f"the target database is not empty: it holds {len(tables)} tables "
            f"({', '.join(sorted(tables)[:5])}...). A restore goes only into an empty database "
            "(PostgreSQL: createdb a new one; SQLite: a new file), so that nothing there is lost "
            "or mixed with the backup. --force drops those tables and replaces them"
        )
    keys = _restore_keys(config, directory, manifest, force=force)
    database_file = directory / manifest["database"]
    if backend == "postgresql":
        if tables:
            _drop_everything(engine)
        pg_tools.restore(engine, database_file)
    else:
        _restore_sqlite(engine, database_file)
    return _check_restored(engine, manifest, keys, warning)


def operator_keys(values: Sequence[str]) -> list[bytes]:
    """The raw public keys of ``--public-key`` values: each base64 of the 32 bytes, a
    ``<name>+<id>+<key>`` verifier key, or a file holding the key list as
    ``GET /api/v1/ledger/public-key`` serves it (every key, current and retired) or one key."""
    found: list[bytes] = []
    for value in values:
        path = Path(value)
        if len(value) < 200 and path.is_file():
            try:
                text_read = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise RestoreRefused(f"cannot read the public key file {value}: {exc}") from None
            found += [_raw_key(key, value) for key in _keys_of_file(text_read, value)]
        else:
            found.append(_raw_key(value, "--public-key"))
    return found


def _keys_of_file(content: str, where: str) -> list[str]:
    try:
        document = json.loads(content)
    except json.JSONDecodeError:
        return [line.strip() for line in content.splitlines() if line.strip()]
    entries = document.get("keys", []) if isinstance(document, dict) else document
    if isinstance(document, str):
        entries = [document]
    if not isinstance(entries, list):
        raise RestoreRefused(f"{where} is not a key list (a JSON object with keys, or a list)")
    keys = [
        entry.get("verifier_key") or entry.get("public_key") if isinstance(entry, dict) else entry
        for entry in entries
    ]
    if isinstance(document, dict) and "public_key" in document:
        keys.append(document["public_key"])
    if not keys or not all(isinstance(key, str) for key in keys):
        raise RestoreRefused(f"{where} holds no public keys, or not as text")
    return [str(key) for key in keys]


def _raw_key(value: str, where: str) -> bytes:
    """Base64 of the 32 raw bytes, or a verifier key (as ``python -m ipx.ledger.verify``)."""
    try:
        raw = base64.b64decode(value.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) == 32:
        return raw
    try:
        return parse_verifier_key(value.strip())[1].public_bytes_raw()
    except InvalidKey as exc:
        raise RestoreRefused(
            f"{where}: neither 32 base64-encoded bytes nor a verifier key: {exc}"
        ) from None


def instance_public_keys(config: Mapping[str, Any]) -> list[bytes]:
    """The target instance's own signing key (public half) and its retired keys, if it has a
    signing key file; none otherwise."""
    signing_file = Path(config["SIGNING_KEY_FILE"])
    if not signing_file.exists():
        return []
    try:
        keys = [load_signing_key(signing_file).public_key().public_bytes_raw()]
    except (OSError, ValueError) as exc:
        raise RestoreRefused(f"the instance's {signing_file} is not a signing key: {exc}") from None
    return keys + [_raw_key(key, str(signing_file)) for key in read_retired_keys(signing_file)]


def _known_revision(engine: Engine, revision: str) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    if revision not in {script.revision for script in scripts.walk_revisions()}:
        raise RestoreRefused(
            f"the backup's schema revision {revision} is unknown to this IPX (newer?): "
            "restore it with the version that made it"
        )


def _tables(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return inspect(connection).get_table_names()


def _restore_keys(
    config: Mapping[str, Any], directory: Path, manifest: dict, *, force: bool
) -> list[str]:
    """Check every key first, then write: a refusal leaves the instance as it was."""
    targets = instance_key_files(config)
    plan = []
    for role, relative in manifest["keys"].items():
        data, target = (directory / relative).read_bytes(), targets[role]
        if target.exists():
            if target.read_bytes() == data:
                continue
            if not force and role not in HARMLESS_TO_REPLACE:
                raise RestoreRefused(
                    f"{target} exists and differs from the backup's {role} key. If a command "
                    "run against the empty target made it, delete it; otherwise it is another "
                    "instance's: point the setting elsewhere. --force replaces it"
                )
        plan.append((role, target, data))
    for _, target, data in plan:
        if target.exists():
            replace_secret(target, data)
        else:
            write_new_secret(target, data)
    return [role for role, _, _ in plan]


def _drop_everything(engine: Engine) -> None:
    """--force on PostgreSQL: drop the target's tables (and the log's trigger function)."""
    with engine.begin() as connection:
        for table in inspect(connection).get_table_names():
            connection.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
        connection.execute(text("DROP FUNCTION IF EXISTS ledger_refuse_change() CASCADE"))


def _restore_sqlite(engine: Engine, database_file: Path) -> None:
    """The backup API again, from the copy into the target file: it replaces the target's
    whole content, and the file stays a valid database throughout."""
    target_path = engine.url.database
    if not target_path or target_path == ":memory:":
        raise RestoreRefused("cannot restore into an in-memory SQLite database")
    engine.dispose()  # no pooled connection of ours holds the old content open
    source = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _check_restored(
    engine: Engine, manifest: dict, keys: list[str], warning: str | None
) -> Restored:
    with Session(engine) as session:
        latest = latest_checkpoint(session)
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    expected = manifest["checkpoint"]
    got = None if latest is None else (latest.tree_size, _b64(latest.root_hash))
    want = None if expected is None else (expected["tree_size"], expected["root_hash"])
    if got != want:
        raise RuntimeError(f"the restored database ends with checkpoint {got}, not {want}")
    return Restored(
        tree_size=got[0] if got else None,
        root_hash=got[1] if got else None,
        schema_revision=revision,
        keys=keys,
        warning=warning,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
