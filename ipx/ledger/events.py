"""What the registry hands to the ledger: events, their times and the digests of states.

A leaf is canonical JSON (``ipx.ledger.canonical``: sorted keys, no spaces, UTF-8, no floats).
The log writes format 2 (``ipx.ledger.disclosure``: only the public notice in clear, every
event sealed beside its leaf). ``leaf_bytes`` is format 1, which the log wrote before: version,
sequence number, time, event type, actor, record ids, public facts and digests, all in clear;
such entries stay in the log as they were published and are verified by their own rules. Raw
personal data never enters the log in either format.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ipx.ledger.canonical import canonical_json, sha256_hex
from ipx.ledger.disclosure import FORMAT, LEGACY_FORMAT

__all__ = [
    "LEAF_VERSION",
    "LEGACY_LEAF_VERSION",
    "Event",
    "canonical_json",
    "format_time",
    "leaf_bytes",
    "sha256_hex",
    "state_digest",
]

LEAF_VERSION = FORMAT  # what the log writes
LEGACY_LEAF_VERSION = LEGACY_FORMAT  # leaf_bytes: what it wrote before


@dataclass(frozen=True)
class Event:
    """One thing that happened in the registry.

    ``refs`` names the records it concerns (``{"pledge": 7, "assets": [3, 4]}``); ``data`` holds
    public facts in clear (status, registration number, legal status); ``digests`` holds hex
    digests (personal data, documents, and ``state:<kind>:<id>`` digests of record states).
    ``private`` holds the confidential facts (amounts, debt terms, bids). All of it goes into
    the entry's sealed record, kept in the database beside the leaf; the leaf shows in clear
    only what the public notice shows (``ipx.ledger.disclosure``).
    """

    type: str
    refs: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    digests: dict = field(default_factory=dict)
    private: dict = field(default_factory=dict)


def sealed_details(private: dict) -> tuple[str, str]:
    """Format 1: the stored text of an event's private facts (with a random salt) and its
    digest (``digests.details``)."""
    text = canonical_json({"salt": secrets.token_hex(16), **private}).decode()
    return text, sha256_hex(text)


def format_time(moment: datetime) -> str:
    """A leaf's time: UTC, microseconds, ``Z`` (fixed width, so text order is time order)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def leaf_bytes(event: Event, *, seq: int, time: datetime, actor: str) -> bytes:
    """The format-1 leaf of ``event`` at position ``seq`` (everything in clear; no longer
    written, kept as the definition of the entries written before format 2)."""
    return canonical_json(
        {
            "v": LEGACY_LEAF_VERSION,
            "seq": seq,
            "time": format_time(time),
            "type": event.type,
            "actor": actor,
            "refs": event.refs,
            "data": event.data,
            "digests": event.digests,
        }
    )


def state_digest(state: dict, key: bytes) -> str:
    """Keyed digest (HMAC-SHA256 under the registry's secret) of a record's state, as
    ``ipx verify`` recomputes it from the current row.

    Keyed because the log is public: a plain hash of a state whose other fields are known
    (an individual's name, a default's amounts) could be recovered by guessing.
    """
    if len(key) < 16:
        raise ValueError("the state digest key must be at least 16 random bytes")
    return hmac.new(key, canonical_json(state), hashlib.sha256).hexdigest()
