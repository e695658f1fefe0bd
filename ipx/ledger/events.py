"""What the registry hands to the ledger, and how it becomes leaf bytes.

A leaf is canonical JSON (sorted keys, no spaces, UTF-8) holding the version, sequence number,
time, event type, actor, record ids, non-personal facts and SHA-256 digests of personal data
and of the records' states. Raw personal data never enters the log.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

LEAF_VERSION = 1


@dataclass(frozen=True)
class Event:
    """One thing that happened in the registry.

    ``refs`` names the records it concerns (``{"pledge": 7, "assets": [3, 4]}``); ``data`` holds
    non-personal facts in clear (status, amounts, dates); ``digests`` holds hex SHA-256 digests
    (personal data, documents, and ``state:<kind>:<id>`` digests of record states).
    """

    type: str
    refs: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    digests: dict = field(default_factory=dict)


def canonical_json(obj) -> bytes:
    """Canonical JSON: sorted keys, no insignificant spaces, UTF-8, no floats."""
    _reject_floats(obj)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _reject_floats(obj) -> None:
    if isinstance(obj, float):
        raise TypeError("floats are not allowed in ledger leaves; use strings for numbers")
    if isinstance(obj, dict):
        for value in obj.values():
            _reject_floats(value)
    elif isinstance(obj, list | tuple):
        for value in obj:
            _reject_floats(value)


def format_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def leaf_bytes(event: Event, *, seq: int, time: datetime, actor: str) -> bytes:
    return canonical_json(
        {
            "v": LEAF_VERSION,
            "seq": seq,
            "time": format_time(time),
            "type": event.type,
            "actor": actor,
            "refs": event.refs,
            "data": event.data,
            "digests": event.digests,
        }
    )


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def state_digest(state: dict) -> str:
    """Digest of a record's state, as ``ipx verify`` recomputes it from the current row."""
    return sha256_hex(canonical_json(state))
