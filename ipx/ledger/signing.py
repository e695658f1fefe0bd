"""The app's signer and checkpoint policy, from the Flask config.

The ledger's glue to the app, with ``routes``: everything else in the package takes the signer
and policy as values, so it runs without Flask (``ipx verify``'s audit, the offline verifier).
"""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ipx.db_ext import database
from ipx.instance_keys import ensure_signing_key, load_signing_key
from ipx.ledger import keyring, witnessing
from ipx.ledger.checkpoints import (
    CheckpointPolicy,
    LogSigner,
    SignedCheckpoint,
    b64,
    checkpoint_at,
    refresh_checkpoint,
)
from ipx.ledger.note import verifier_key


@functools.lru_cache(maxsize=32)
def _signer(key_file: str, origin: str, key_name: str, version: tuple[int, ...]) -> LogSigner:
    return LogSigner(origin, key_name, load_signing_key(key_file))


def _file_version(path: str) -> tuple[int, ...] | None:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return (found.st_dev, found.st_ino, found.st_mtime_ns, found.st_size)


def app_signer(app: Flask | None = None) -> LogSigner:
    """The log's signer: ``SIGNING_KEY_FILE``, ``LEDGER_ORIGIN``, ``LEDGER_KEY_NAME``.

    The key file is looked at (one ``stat``) on every call, so when ``ipx signing rotate``
    replaces it every worker of every server signs with the new key from its next checkpoint
    on, without a restart. A missing file is created only while no checkpoint exists.
    """
    app = app or current_app
    config = app.config
    key_file = config["SIGNING_KEY_FILE"]
    version = _file_version(key_file)
    if version is None:
        ensure_signing_key(key_file, database(app).engine)
        version = _file_version(key_file) or ()
    return _signer(key_file, config["LEDGER_ORIGIN"], config["LEDGER_KEY_NAME"], version)


def app_policy(app: Flask | None = None) -> CheckpointPolicy:
    """``CHECKPOINT_EVERY_SECONDS`` and ``CHECKPOINT_EVERY_EVENTS``."""
    config = (app or current_app).config
    return CheckpointPolicy(
        every_seconds=config["CHECKPOINT_EVERY_SECONDS"],
        every_events=config["CHECKPOINT_EVERY_EVENTS"],
    )


def current_checkpoint(
    bind: Engine | Connection, *, force: bool = False, app: Flask | None = None
) -> SignedCheckpoint:
    """The latest signed checkpoint, signing the current tree first if due (or forced); one
    it signs goes to the configured witnesses (``WITNESSES``) before it is answered, with their
    cosignatures."""
    app = app or current_app
    signed_now: list[SignedCheckpoint] = []
    checkpoint = refresh_checkpoint(
        bind,
        app_signer(app),
        app_policy(app),
        datetime.now(UTC),
        force=force,
        on_signed=signed_now.append,
    )
    witnesses = app_witnesses(app) if signed_now else []
    if witnesses:
        timeout = app.config["WITNESS_TIMEOUT_SECONDS"]
        if witnessing.collect(bind, checkpoint, witnesses, timeout):
            with Session(bind) as session:
                checkpoint = checkpoint_at(session, checkpoint.tree_size) or checkpoint
    return checkpoint


def covering_checkpoint(bind: Engine | Connection, index: int) -> SignedCheckpoint:
    """A signed checkpoint whose tree holds entry ``index``: the current one, or one signed now
    if the entry is newer (a receipt, a report anchored in the log)."""
    checkpoint = current_checkpoint(bind)
    if index >= checkpoint.tree_size:
        checkpoint = current_checkpoint(bind, force=True)
    return checkpoint


def app_witnesses(app: Flask | None = None) -> list[witnessing.ConfiguredWitness]:
    """The witnesses asked to cosign each checkpoint (``WITNESSES``: URL and verifier key)."""
    return witnessing.configured((app or current_app).config.get("WITNESSES") or ())


def published_keys(session: Session, signer: LogSigner) -> list[dict]:
    """Every signing key the log has had, oldest first, with the tree sizes it signed, for the
    public-key endpoint: ``status`` is ``current`` for the key signing now, else ``retired``."""
    listed = []
    for record in keyring.signing_keys(session):
        current = (record.key_name, record.public_key) == (signer.key_name, signer.public_key)
        listed.append(_published(record.key_name, record.public_key, current, record))
    if not any(item["status"] == "current" for item in listed):  # not registered yet
        listed.append(_published(signer.key_name, signer.public_key, True, None))
    return listed


def _published(
    key_name: str, public_key: bytes, current: bool, record: keyring.SigningKeyRecord | None
) -> dict:
    return {
        "key_id": keyring.key_id_hex(key_name, public_key),
        "key_name": key_name,
        "public_key": b64(public_key),
        "verifier_key": verifier_key(key_name, public_key),
        "status": "current" if current else "retired",
        "created_at": record.created_at if record else None,
        "retired_at": record.retired_at if record and not current else None,
        "first_tree_size": record.first_tree_size if record else None,
        "last_tree_size": record.last_tree_size if record else None,
    }
