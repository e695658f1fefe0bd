"""``ipx verify``'s audit: the ledger's audit of its log, with every registry and support
record compared against the latest state the log holds for it.

The ledger's ``audit_log`` knows nothing of the registry: it takes the records' state digests
as an iterator, and the kinds of record whose states the log holds. Here, at the composition
root, the two meet.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping
from typing import Any

from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ipx.db_ext import database
from ipx.instance_keys import (
    ledger_blinding_key,
    registry_digest_key,
)
from ipx.ledger.audit import AuditReport, audit_log
from ipx.registry.state import STATE_OF, current_state_digests
from ipx.support.events import STATE_KINDS as SUPPORT_STATE_KINDS
from ipx.support.events import current_state_digests as support_state_digests


def snapshot(engine: Engine) -> Session:
    """A session reading one consistent snapshot while writers carry on."""
    session = Session(engine)
    if engine.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session


def audit_records(
    config: Mapping[str, Any],
    session: Session,
    public_key: bytes | Collection[bytes],
    *,
    records: bool = True,
) -> AuditReport:
    """The ledger's audit of the log ``session`` reads (every sealed record and keyed digest
    too, under the instance's blinding key) and, with ``records``, of every registry record
    against the latest state the log holds for it (the support programmes' records too)."""
    states = None
    if records:
        key = registry_digest_key(config["DIGEST_KEY_FILE"])
        states = itertools.chain(
            current_state_digests(session, key), support_state_digests(session, key)
        )
    return audit_log(
        session,
        public_key,
        # Any name the trusted key signed under (its key id binds the name): checkpoints
        # signed before the key name became the origin (IPX_LOG_ORIGIN) were "ipx.example".
        key_name=None,
        origin=config["LEDGER_ORIGIN"],
        registry_states=states,
        state_kinds=[*STATE_OF.keys(), *SUPPORT_STATE_KINDS],
        blinding_key=ledger_blinding_key(config["DIGEST_KEY_FILE"]),
    )


def audit_instance(app: Flask, public_key: bytes | Collection[bytes]) -> AuditReport:
    """``audit_records`` over one snapshot of the app's database."""
    with snapshot(database(app).engine) as session:
        return audit_records(app.config, session, public_key)
