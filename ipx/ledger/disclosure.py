"""What the public log shows of an event (leaf format 2), and the sealed record beside it.

Standard library only: the offline verifier a bank runs imports this module.

DESIGN: "a public leaf carries in clear only what the public notice shows". The public notice
is the registration of a pledge, its changes and its end (cancellation, revocation): the event
types in ``PUBLIC_EVENT_TYPES``. Everything else is confidential in the public log: a default
and the whole disposal that follows it (bids, sale, distribution, realization), valuations,
transfers and licences, applications and refusals, parties, assets, court freezes (the public
notice lists no freeze; a preservation order names a court and a lawsuit). The list is closed:
an event type not named here is blinded, so a new kind of event cannot leak by omission. The
key id (actor) of every event is confidential too.

Every event gets a **sealed record**: the canonical JSON of the whole event (type, actor, refs,
public data, private facts, digests) with a random salt. It is stored beside the leaf
(``ledger_entries.details``), never served publicly, and the leaf binds it by
``digests.details`` = SHA-256 of its text, so it cannot be swapped or edited unnoticed.

- A **public** event's leaf carries its type, its refs to the pledge, assets and parties, its
  public data and the state digests of those records in clear; the actor only blinded.
- Any other event's leaf carries ``seq``, ``time`` and ``blinded``: keyed digests of its type,
  its actor and each record id (padded to a multiple of ``REF_PADDING``, sorted, so neither the
  order nor the exact count of the ids shows).

The keyed digests are HMAC-SHA256 under the entry's own key, ``entry_key(blinding key, seq)``,
and the blinding key is derived from the instance secret (the registry's digest key). As with
the per-record keys of personal digests (``canonical``): the public cannot test a guess (which
type, which pledge), equal values in two entries give unrelated digests (no frequency count of
"the default digest"), and giving one entry's key to a party who may see that entry (its
receipt, the entry view) lets it recompute that leaf and nothing else.

Format 1 leaves (written before this format) stay exactly as they were published: a log is
append-only, and each is still verified by its own rules (``open_entry``, ``check_sealed``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any, TypeAlias

from ipx.ledger.canonical import canonical_json, parse_canonical_json, sha256_hex

JSONObject: TypeAlias = dict[str, Any]

FORMAT = 2
LEGACY_FORMAT = 1
REF_PADDING = 8

#: The public notice: a pledge's registration, its changes and its end.
PUBLIC_EVENT_TYPES = frozenset(
    {"pledge.registered", "pledge.changed", "pledge.extended", "pledge.cancelled", "pledge.revoked"}
)
#: The records a public leaf names in clear (the notice's pledge, assets, pledgor and pledgee).
PUBLIC_REF_KEYS = frozenset({"pledge", "asset", "assets", "party", "parties"})
PUBLIC_STATE_KINDS = frozenset({"pledge", "asset", "party"})

_BLINDING_LABEL = b"ipx/ledger/blinding-key/v1"
_MIN_SECRET_BYTES = 16
_FLAT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_RECORD_FIELDS = frozenset({"salt", "type", "actor", "refs", "data", "digests", "private"})


def is_public(event_type: str) -> bool:
    """Whether the public notice shows events of this type (their leaf is in clear)."""
    return event_type in PUBLIC_EVENT_TYPES


# --- keys and keyed digests -------------------------------------------------------------------


def derive_blinding_key(secret: bytes) -> bytes:
    """The log's blinding key, derived from the instance secret (its own key by domain
    separation: knowing it reveals nothing of the secret's other uses)."""
    if not isinstance(secret, bytes | bytearray) or len(secret) < _MIN_SECRET_BYTES:
        raise ValueError(f"the instance secret must be at least {_MIN_SECRET_BYTES} random bytes")
    return hmac.new(bytes(secret), _BLINDING_LABEL, hashlib.sha256).digest()


def entry_key(blinding_key: bytes, seq: int) -> bytes:
    """The key of entry ``seq``'s keyed digests (one per entry: see the module docstring)."""
    return hmac.digest(blinding_key, canonical_json(["entry", seq]), "sha256")


def keyed_digest(key: bytes, *parts: str | int) -> str:
    """Hex HMAC-SHA256 of the canonical JSON list ``parts`` (strings and integers) under an
    entry key."""
    # A flat list of strings and ints encodes to its canonical form as it is: the walk of
    # canonical_json would cost more than the HMAC, ten times an entry.
    return hmac.digest(key, _FLAT.encode(list(parts)).encode("utf-8"), "sha256").hex()


# --- the sealed record and the leaf -----------------------------------------------------------


def seal_record(
    *,
    type: str,
    actor: str,
    refs: JSONObject,
    data: JSONObject,
    digests: JSONObject,
    private: JSONObject,
) -> str:
    """The sealed record's text: canonical JSON of the whole event, with a random salt (so its
    public SHA-256 cannot be tested against guesses)."""
    if "details" in digests:
        raise ValueError("digests.details is the leaf's seal of the record; name it otherwise")
    record = {"salt": secrets.token_hex(16), "type": type, "actor": actor, "refs": refs}
    record |= {"data": data, "digests": digests, "private": private}
    return canonical_json(record).decode()


def build_leaf(record_text: str, *, seq: int, time: str, key: bytes, public: bool) -> bytes:
    """The canonical format-2 leaf of entry ``seq`` whose sealed record is ``record_text``."""
    # The text seal_record just made is canonical: json.loads suffices (check_sealed, which
    # reads stored text, parses it strictly).
    record = _record(record_text, strict=False)
    return canonical_json(_leaf_fields(record, record_text, seq, time, key, public))


def _leaf_fields(
    record: JSONObject, text: str, seq: int, time: str, key: bytes | None, public: bool
) -> JSONObject:
    """The leaf as a JSON object; without ``key``, all but its keyed digests (``blinded``)."""
    leaf: JSONObject = {"v": FORMAT, "seq": seq, "time": time}
    seal = {"details": sha256_hex(text)}
    if public:
        leaf["type"] = record["type"]
        leaf["refs"] = {k: v for k, v in record["refs"].items() if k in PUBLIC_REF_KEYS}
        leaf["data"] = record["data"]
        leaf["digests"] = {k: v for k, v in record["digests"].items() if _public_digest(k)} | seal
    else:
        leaf["digests"] = seal
    if key is not None:
        blinded: JSONObject = {"actor": keyed_digest(key, "actor", record["actor"])}
        if not public:
            blinded["type"] = keyed_digest(key, "type", record["type"])
            blinded["refs"] = blinded_refs(key, record["refs"])
        leaf["blinded"] = blinded
    return leaf


def _public_digest(name: str) -> bool:
    parts = name.split(":")
    return parts[0] != "state" or (len(parts) == 3 and parts[1] in PUBLIC_STATE_KINDS)


def blinded_refs(key: bytes, refs: JSONObject) -> list[str]:
    """Keyed digests of every record id the event names, padded and sorted."""
    digests = [keyed_digest(key, "ref", name, ref_id) for name, ref_id in _ref_ids(refs)]
    padded = max(REF_PADDING, -(-len(digests) // REF_PADDING) * REF_PADDING)
    digests += [keyed_digest(key, "pad", n) for n in range(padded - len(digests))]
    return sorted(digests)


def _ref_ids(refs: JSONObject) -> list[tuple[str, str | int]]:
    """``(ref name, id)`` for each id in ``refs`` (``{"assets": [3, 4]}`` gives two), once."""
    pairs: list[tuple[str, str | int]] = []
    for name, value in refs.items():
        for ref_id in value if isinstance(value, list) else [value]:
            if ref_id is None or (name, ref_id) in pairs:
                continue
            if not isinstance(ref_id, str | int):
                raise ValueError(f"ref {name!r} holds {ref_id!r}, not a record id")
            pairs.append((name, ref_id))
    return pairs


def named_parties(refs: JSONObject) -> set[object]:
    """The parties an event names (its ``party`` and ``parties`` refs)."""
    return {ref_id for name, ref_id in _ref_ids(refs) if name in ("party", "parties")}


# --- reading an entry back --------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedEntry:
    """An entry in clear: its leaf and what its sealed record (or a format-1 leaf) says.

    ``sealed`` is the stored text ``digests.details`` seals (the record; for format 1 the
    private facts, or None); ``public`` whether the leaf shows the event in clear.
    """

    version: int
    seq: int
    time: str
    type: str
    actor: str
    refs: JSONObject
    data: JSONObject
    private: JSONObject
    digests: JSONObject
    sealed: str | None
    public: bool

    def event(self) -> JSONObject:
        """The event as a JSON object (the entry view's ``event``)."""
        return {
            "type": self.type,
            "actor": self.actor,
            "refs": self.refs,
            "data": self.data,
            "private": self.private,
            "digests": self.digests,
        }


def open_entry(leaf_text: str, sealed: str | None) -> OpenedEntry:
    """Read a stored entry (either format) without checking it (``check_sealed`` checks)."""
    return _opened(json.loads(leaf_text), json.loads(sealed) if sealed else None, sealed)


def _opened(leaf: JSONObject, record: JSONObject | None, sealed: str | None) -> OpenedEntry:
    if leaf.get("v") == LEGACY_FORMAT:
        private = {k: v for k, v in (record or {}).items() if k != "salt"}
        return OpenedEntry(
            LEGACY_FORMAT, leaf["seq"], leaf["time"], leaf["type"], leaf["actor"],
            leaf["refs"], leaf["data"], private, leaf["digests"], sealed, True,
        )  # fmt: skip
    if record is None:
        raise ValueError("a format-2 entry has no sealed record")
    return OpenedEntry(
        FORMAT, leaf["seq"], leaf["time"], record["type"], record["actor"], record["refs"],
        record["data"], record["private"], record["digests"], sealed, "type" in leaf,
    )  # fmt: skip


def check_sealed(leaf: object, sealed: str | None, key: bytes | None) -> OpenedEntry:
    """Check that the sealed text is the one the parsed ``leaf`` binds, and (format 2) that the
    leaf is exactly what the record makes of it under the entry ``key``; return the entry.

    Without ``key`` every part but the keyed digests is checked. Raises ``ValueError`` saying
    what disagrees.
    """
    if not isinstance(leaf, dict):
        raise ValueError("the leaf is not a JSON object")
    version = leaf.get("v")
    if version not in (LEGACY_FORMAT, FORMAT):
        raise ValueError(f"unknown leaf format {version!r}")
    digests = leaf.get("digests")
    bound = digests.get("details") if isinstance(digests, dict) else None
    if (bound is None) != (sealed is None) or (sealed is not None and sha256_hex(sealed) != bound):
        raise ValueError("its confidential details (the sealed record) do not match the leaf")
    if version == LEGACY_FORMAT:
        return _opened(leaf, json.loads(sealed) if sealed else None, sealed)
    if sealed is None:
        raise ValueError("a format-2 leaf must seal a record")
    record = _record(sealed)
    seq, time = leaf.get("seq"), leaf.get("time")
    if type(seq) is not int or not isinstance(time, str):
        raise ValueError("the leaf's seq or time is malformed")
    expected = _leaf_fields(record, sealed, seq, time, key, "type" in leaf)
    shown = leaf if key is not None else {k: v for k, v in leaf.items() if k != "blinded"}
    if shown != expected:
        raise ValueError("the leaf is not what its sealed record makes of it")
    return _opened(leaf, record, sealed)


def _record(text: str, *, strict: bool = True) -> JSONObject:
    record = parse_canonical_json(text) if strict else json.loads(text)
    if not isinstance(record, dict) or record.keys() != _RECORD_FIELDS:
        raise ValueError("the sealed record does not have the fields of an event")
    types = {"salt": str, "type": str, "actor": str, "refs": dict, "data": dict}
    types |= {"digests": dict, "private": dict}
    if any(not isinstance(record[name], kind) for name, kind in types.items()):
        raise ValueError("a field of the sealed record has the wrong type")
    return record
