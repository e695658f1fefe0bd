"""The map of encumbrances: what each asset's state is, how log events change it, its root.

Standard library only: the offline verifier imports it, and ``ipx verify`` replays the log
through the same ``Replay`` the write path uses.

Each asset number (its normalised form, ``ipx.registry.numbers``) is keyed by ``key_of(number)``
= SHA-256 of its UTF-8 text, in two sparse Merkle trees (``ipx.ledger.smt``):

- the **public** tree holds what the public notice shows: the pledges registered on the asset
  and not yet cancelled or revoked, ``{"pledges": [{"id", "registration_number"}]}``, as the
  public events (``pledge.registered``, ``pledge.cancelled``, ``pledge.revoked``) say;
- the **restricted** tree holds the rest of the asset's encumbrance state, which the public
  notice does not show (``ipx.ledger.disclosure``): its active court freezes, the assets under
  that number with invalidation proceedings pending, and the pledges that released it in a
  partial realization, ``{"freezes", "invalidation_pending", "released", "salt"}``. Its leaves
  are salted with a digest of the sealed record of the event that last changed them, which the
  public never sees, so its root cannot be tested against guesses; only the root is published.

An asset with no such state has no leaf (its key proves absent). Both roots are committed by
``map_root`` = SHA-256(0x12 || public root || restricted root), and every signed checkpoint
carries it on an extension line (``extension_line``; see ``ipx.ledger.checkpoints``). Both are
replayable from the log alone: the events' sealed records (``ledger_entries.details``) hold
everything they need, including the number of every asset (``asset.registered``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ipx.ledger import smt
from ipx.ledger.canonical import canonical_json

PUBLIC, RESTRICTED = 0, 1
#: The checkpoint extension line's first word; the second is base64 of ``map_root``.
EXTENSION = "ipx.encumbrance-map/v1"
_SALT_LABEL = b"ipx/encumbrance-map/salt/v1\n"

#: The event types that change the map (any other is skipped without being read).
MAP_EVENT_TYPES = frozenset(
    {
        "asset.registered",
        "asset.changed",
        "asset.frozen",
        "asset.freeze_lifted",
        "pledge.registered",
        "pledge.cancelled",
        "pledge.revoked",
        "pledge.partially_realized",
    }
)
_ENDS = frozenset({"pledge.cancelled", "pledge.revoked"})


def key_of(number: str) -> bytes:
    """The map key of an asset number (its normalised form)."""
    return hashlib.sha256(number.encode("utf-8")).digest()


def map_root(public_root: bytes, restricted_root: bytes) -> bytes:
    """The root a checkpoint commits to: SHA-256(0x12 || public root || restricted root)."""
    return hashlib.sha256(b"\x12" + public_root + restricted_root).digest()


def extension_line(root: bytes) -> str:
    """The checkpoint extension line committing to the map root."""
    return f"{EXTENSION} {base64.b64encode(root).decode('ascii')}"


def root_in(extensions: Iterable[str]) -> bytes | None:
    """The map root a checkpoint's extension lines commit to, or None (an older checkpoint);
    raises ``ValueError`` for a malformed or repeated map line."""
    found = None
    for line in extensions:
        word, _, value = line.partition(" ")
        if word != EXTENSION:
            continue
        if found is not None:
            raise ValueError("the checkpoint has two map lines")
        try:
            found = base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
            raise ValueError("the map root is not valid base64") from exc
        if len(found) != 32 or extension_line(found) != line:
            raise ValueError("the map root is not 32 bytes in canonical base64")
    return found


# --- states and their encoding ----------------------------------------------------------------


def empty_state(tree: int) -> dict[str, Any]:
    if tree == PUBLIC:
        return {"pledges": []}
    return {"freezes": [], "invalidation_pending": [], "released": []}


def encode(tree: int, state: dict[str, Any], salt: str) -> bytes | None:
    """A leaf's value bytes (canonical JSON), or None for an empty state (no leaf)."""
    if not any(state[name] for name in empty_state(tree)):
        return None
    if tree == PUBLIC:
        return canonical_json({"pledges": sorted(state["pledges"], key=lambda p: p["id"])})
    body = {name: sorted(set(state[name])) for name in empty_state(tree)}
    return canonical_json({**body, "salt": salt})


def decode(tree: int, value: bytes | None) -> dict[str, Any]:
    """The state a leaf's value holds (an empty state for None), without the salt."""
    if value is None:
        return empty_state(tree)
    state = json.loads(value)
    state.pop("salt", None)
    return state


def salt_of(sealed: str) -> str:
    """The restricted leaves' salt from an event's sealed record (secret: the public sees only
    the record's SHA-256, never the record)."""
    return hashlib.sha256(_SALT_LABEL + sealed.encode("utf-8")).hexdigest()


# --- what events do ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MapEvent:
    """The parts of a logged event the map reads (from an ``Event``, or a stored entry)."""

    type: str
    refs: dict[str, Any]
    data: dict[str, Any]
    private: dict[str, Any]
    #: The sealed record text (or, for a format-1 entry without one, its leaf text).
    sealed: str


def _ids(refs: dict[str, Any], *names: str) -> list[int]:
    ids: list[int] = []
    for name in names:
        value = refs.get(name)
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None and int(item) not in ids:
                ids.append(int(item))
    return ids


Change = tuple[int, int, Callable[[dict[str, Any]], None]]


def changes(event: MapEvent) -> tuple[list[tuple[int, str]], list[Change]]:
    """What ``event`` does: assets it registers ``(id, number)``, and state changes
    ``(tree, asset id, mutate(state))`` in order."""
    kind, refs, data = event.type, event.refs, event.data
    facts = {**event.private, **data}
    out: list[Change] = []
    if kind == "asset.registered":
        assets = _ids(refs, "asset")
        registered = [(assets[0], str(data["number"]))] if assets and "number" in data else []
        if registered and facts.get("invalidation_pending"):
            out.append((RESTRICTED, assets[0], _add("invalidation_pending", assets[0])))
        return registered, out
    if kind == "asset.changed" and "invalidation_pending" in facts:
        for asset in _ids(refs, "asset"):
            change = _add if facts["invalidation_pending"] else _remove
            out.append((RESTRICTED, asset, change("invalidation_pending", asset)))
    elif kind in ("asset.frozen", "asset.freeze_lifted"):
        freezes = _ids(refs, "freeze")
        for asset in _ids(refs, "asset"):
            for freeze in freezes:
                change = _add if kind == "asset.frozen" else _remove
                out.append((RESTRICTED, asset, change("freezes", freeze)))
    elif kind == "pledge.registered":
        entry = {"id": int(refs["pledge"]), "registration_number": data["registration_number"]}
        for asset in _ids(refs, "asset", "assets"):
            out.append((PUBLIC, asset, _add_pledge(entry)))
    elif kind in _ENDS:
        pledge = int(refs["pledge"])
        for asset in _ids(refs, "asset", "assets"):
            out.append((PUBLIC, asset, _remove_pledge(pledge)))
            out.append((RESTRICTED, asset, _remove("released", pledge)))
    elif kind == "pledge.partially_realized":
        pledge = int(refs["pledge"])
        for asset in _ids({"assets": facts.get("released_assets") or []}, "assets"):
            out.append((RESTRICTED, asset, _add("released", pledge)))
    return [], out


def _add(name: str, item: int) -> Callable[[dict[str, Any]], None]:
    def mutate(state: dict[str, Any]) -> None:
        if item not in state[name]:
            state[name].append(item)

    return mutate


def _remove(name: str, item: int) -> Callable[[dict[str, Any]], None]:
    def mutate(state: dict[str, Any]) -> None:
        state[name] = [x for x in state[name] if x != item]

    return mutate


def _add_pledge(entry: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(state: dict[str, Any]) -> None:
        state["pledges"] = [p for p in state["pledges"] if p["id"] != entry["id"]] + [entry]

    return mutate


def _remove_pledge(pledge: int) -> Callable[[dict[str, Any]], None]:
    def mutate(state: dict[str, Any]) -> None:
        state["pledges"] = [p for p in state["pledges"] if p["id"] != pledge]

    return mutate


# --- applying events to two trees -------------------------------------------------------------


@dataclass
class Replay:
    """Events applied, in log order, to the two trees over any stores.

    ``asset_key`` resolves an asset id to its key (None: an asset the map has not seen
    registered, whose events it skips); ``remember`` records a newly registered one. The
    in-memory defaults replay a whole log (``ipx verify``).
    """

    stores: tuple[smt.Store, smt.Store] = field(
        default_factory=lambda: (smt.MemoryStore(), smt.MemoryStore())
    )
    keys: dict[int, bytes] = field(default_factory=dict)

    def asset_key(self, asset_id: int) -> bytes | None:
        return self.keys.get(asset_id)

    def remember(self, asset_id: int, key: bytes) -> None:
        self.keys[asset_id] = key

    def apply(self, event: MapEvent) -> bool:
        """Apply one event; whether it changed anything."""
        if event.type not in MAP_EVENT_TYPES:
            return False
        registered, updates = changes(event)
        for asset_id, number in registered:
            self.remember(asset_id, key_of(number))
        changed = False
        for tree, asset_id, mutate in updates:
            key = self.asset_key(asset_id)
            if key is None:
                continue
            store = self.stores[tree]
            before = smt.get(store, key)
            state = decode(tree, before)
            mutate(state)
            after = encode(tree, state, salt_of(event.sealed))
            if decode(tree, after) != decode(tree, before):
                smt.update(store, key, after)
                changed = True
        return changed

    def roots(self) -> tuple[bytes, bytes]:
        return smt.root(self.stores[PUBLIC]), smt.root(self.stores[RESTRICTED])


# --- search certificates (the offline check) --------------------------------------------------


@dataclass(frozen=True)
class Certified:
    """What a verified certificate proves: as of ``tree_size``, ``number`` had exactly these
    public encumbrances (``pledges``; empty: none)."""

    number: str
    tree_size: int
    pledges: list[dict[str, Any]]
    map_root: bytes


def check_certificate(certificate: object, tree_size: int, committed_root: bytes) -> Certified:
    """Check a certificate's map proof against the map root a verified checkpoint commits to;
    raises ``ValueError`` saying what fails."""
    if not isinstance(certificate, dict):
        raise ValueError("the certificate is a JSON object")
    needed = {"number", "state", "proof", "restricted_root"}
    missing = needed - certificate.keys()
    if missing:
        raise ValueError(f"missing fields: {', '.join(sorted(missing))}")
    number, state = certificate["number"], certificate["state"]
    if not isinstance(number, str) or not number:
        raise ValueError("number must be the asset's normalised number")
    if not isinstance(state, dict) or set(state) != {"pledges"}:
        raise ValueError("state must be {pledges: [...]}")
    pledges = state["pledges"]
    if not isinstance(pledges, list) or not all(
        isinstance(p, dict)
        and set(p) == {"id", "registration_number"}
        and type(p["id"]) is int
        and isinstance(p["registration_number"], str)
        for p in pledges
    ):
        raise ValueError("state.pledges must list {id, registration_number}")
    if "key" in certificate and certificate["key"] != key_of(number).hex():
        raise ValueError("the key is not SHA-256 of the number")
    proof = smt.Proof.from_json(certificate["proof"])
    restricted = smt.unb64(certificate["restricted_root"])
    value = encode(PUBLIC, {"pledges": pledges}, "")
    public_root = smt.proven_root(key_of(number), value, proof)
    if public_root is None:
        raise ValueError("the map proof does not fit the key or the state")
    if map_root(public_root, restricted) != committed_root:
        raise ValueError("the map proof does not lead to the map root the checkpoint commits to")
    ordered = json.loads(value)["pledges"] if value is not None else []
    return Certified(number, tree_size, ordered, committed_root)
