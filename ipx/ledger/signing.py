"""The app's signer and checkpoint policy, from the Flask config.

The ledger's glue to the app, with ``routes``: everything else in the package takes the signer
and policy as values, so it runs without Flask (``ipx verify``'s audit, the offline verifier).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ipx.instance_keys import load_or_create_signing_key
from ipx.ledger.checkpoints import (
    CheckpointPolicy,
    LogSigner,
    SignedCheckpoint,
    refresh_checkpoint,
)


@functools.cache
def _signer(key_file: str, origin: str, key_name: str) -> LogSigner:
    return LogSigner(origin, key_name, load_or_create_signing_key(key_file))


def app_signer(app: Flask | None = None) -> LogSigner:
    """The log's signer: ``SIGNING_KEY_FILE``, ``LEDGER_ORIGIN``, ``LEDGER_KEY_NAME``."""
    config = (app or current_app).config
    return _signer(config["SIGNING_KEY_FILE"], config["LEDGER_ORIGIN"], config["LEDGER_KEY_NAME"])


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
    """The latest signed checkpoint, signing the current tree first if due (or forced)."""
    return refresh_checkpoint(
        bind, app_signer(app), app_policy(app), datetime.now(UTC), force=force
    )


def checkpoint_reference(session: Session) -> dict:
    """The checkpoint a read was answered from: ``{tree_size, root_hash}`` (base64).

    Signs a new one first when the policy says the latest is stale.
    """
    return current_checkpoint(session.get_bind()).reference()
