"""``ipx signing rotate``: a new checkpoint signing key; and the keys ``ipx verify`` trusts.

Rotation, in an order that a crash at any step leaves verifiable:

1. the current key signs a last checkpoint of the log as it is (if it grew since the latest);
2. its public half is added to ``<SIGNING_KEY_FILE>.retired`` (what ``ipx verify`` trusts
   besides the current key) and it stays in the database's keyring (what the public-key
   endpoint lists, with the tree sizes it signed);
3. a new key replaces the key file atomically: every server process signs with it from its
   next checkpoint on (``ipx.ledger.signing.app_signer`` looks at the file each time);
4. the keyring records the new key and marks the old one retired.

The retired private key is not kept: nothing may sign with it again, and its public half is all
that verifying its checkpoints needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ipx.errors import LedgerInconsistent
from ipx.instance_keys import (
    MissingInstanceKey,
    add_retired_key,
    generate_signing_key,
    load_signing_key,
    read_retired_keys,
    replace_secret,
)
from ipx.ledger import keyring
from ipx.ledger.checkpoints import CheckpointPolicy, LogSigner, refresh_checkpoint
from ipx.ledger.note import InvalidKey, parse_verifier_key, verifier_key


@dataclass(frozen=True)
class Rotation:
    """What ``rotate`` did: the retired and the new key, and the old key's last checkpoint."""

    retired: str
    current: str
    last_checkpoint: int | None
    warning: str | None = None


def rotate(config: Mapping[str, Any], engine: Engine, now: datetime) -> Rotation:
    """Retire the instance's signing key and start a new one (see the module docstring)."""
    path = Path(config["SIGNING_KEY_FILE"])
    if not path.exists():
        raise MissingInstanceKey(
            f"no signing key at {path} to rotate from; restore it (ipx restore) first"
        )
    name, origin = config["LEDGER_KEY_NAME"], config["LEDGER_ORIGIN"]
    old = LogSigner(origin, name, load_signing_key(path))
    last, warning = None, None
    try:
        policy = CheckpointPolicy(every_seconds=0, every_events=1)
        last = refresh_checkpoint(engine, old, policy, now, force=True).tree_size
    except LedgerInconsistent as exc:  # still rotate: a damaged log may be why
        warning = f"no last checkpoint signed with the old key: {exc}"
    with Session(engine) as session:
        keyring.register_key(session, name, old.public_key, now)
        session.commit()
    add_retired_key(path, verifier_key(name, old.public_key))
    replace_secret(path, generate_signing_key())
    new = LogSigner(origin, name, load_signing_key(path))  # read back: the file is whole
    with Session(engine) as session:
        keyring.register_key(session, name, new.public_key, now)
        keyring.retire_others(session, name, new.public_key, now)
        session.commit()
    return Rotation(
        retired=verifier_key(name, old.public_key),
        current=verifier_key(name, new.public_key),
        last_checkpoint=last,
        warning=warning,
    )


def instance_public_keys(config: Mapping[str, Any]) -> list[bytes]:
    """The raw public keys ``ipx verify`` trusts: the signing key file's, then the retired
    ones listed beside it. The database's keyring is not trusted: it is what is audited."""
    keys = []
    path = Path(config["SIGNING_KEY_FILE"])
    if path.exists():
        keys.append(load_signing_key(path).public_key().public_bytes_raw())
    for line in read_retired_keys(path):
        try:
            _, public_key = parse_verifier_key(line)
        except InvalidKey as exc:
            raise ValueError(f"{path}.retired holds a malformed verifier key: {exc}") from exc
        raw = public_key.public_bytes_raw()
        if raw not in keys:
            keys.append(raw)
    return keys
