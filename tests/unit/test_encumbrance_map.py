"""The map of encumbrances without a database: the sparse Merkle tree and the events' effects.

Property tests over random sequences of registrations, cancellations, revocations, freezes,
lifts and invalidation flags: every asset's proof verifies against the root, for exactly its
state; the same proof fails for any other state, any other asset and any other root; assets
without a state (and numbers never registered) prove absent; and the tree is canonical (the
same states in any order give the same root and nodes).
"""

from __future__ import annotations

import base64
import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ipx.ledger import encumbrances, smt
from ipx.ledger.encumbrances import PUBLIC, RESTRICTED, MapEvent, Replay, key_of, map_root

NUMBERS = [f"2023101{n:05d}.{n % 10}" for n in range(8)]
NEVER = ["199910000000.0", "ZZ-NEVER-REGISTERED"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _key(n: int) -> bytes:
    return hashlib.sha256(n.to_bytes(4, "big")).digest()


# --- the tree alone ---------------------------------------------------------------------------

KEYS = st.sampled_from(
    [_key(n) for n in range(24)]
    # Keys that share long prefixes (deep splits, long single-child chains on deletion).
    + [bytes(31) + bytes([b]) for b in (0, 1, 2, 128)]
    + [b"\xff" * 31 + bytes([b]) for b in (254, 255)]
)
OPS = st.lists(st.tuples(KEYS, st.one_of(st.none(), st.binary(min_size=1, max_size=6))))


@settings(max_examples=200, deadline=None)
@given(OPS)
def test_every_key_proves_its_value_or_its_absence_and_nothing_else(ops):
    store, model = smt.MemoryStore(), {}
    roots = [smt.root(store)]
    for key, value in ops:
        smt.update(store, key, value)
        if value is None:
            model.pop(key, None)
        else:
            model[key] = value
        roots.append(smt.root(store))
    root = smt.root(store)
    assert (root == smt.EMPTY) == (not model)
    for key in {k for k, _ in ops} | {_key(999)}:
        proof = smt.prove(store, key)
        value = model.get(key)
        assert smt.get(store, key) == value
        assert smt.verify(root, key, value, proof)
        # another value, or absence of a present key, or presence of an absent one
        assert not smt.verify(root, key, (value or b"") + b"!", proof)
        if value is not None:
            assert not smt.verify(root, key, None, proof)
        # another key with the same proof (an absence proof that ends at the other key's leaf
        # is that key's own proof: the one case where it holds for both)
        for other in model:
            if other != key and smt.prove(store, other) != proof:
                assert not smt.verify(root, other, model[other], proof)
                assert not smt.verify(root, other, value, proof)
        # another root (any earlier, different one)
        for earlier in roots:
            if earlier != root:
                assert not smt.verify(earlier, key, value, proof)
        assert smt.Proof.from_json(json.loads(json.dumps(proof.to_json()))) == proof


@settings(max_examples=100, deadline=None)
@given(OPS, st.randoms())
def test_the_tree_is_canonical_whatever_the_order_of_updates(ops, rnd):
    store, model = smt.MemoryStore(), {}
    for key, value in ops:
        smt.update(store, key, value)
        if value is None:
            model.pop(key, None)
        else:
            model[key] = value
    items = list(model.items())
    rnd.shuffle(items)
    rebuilt = smt.build(items)
    assert rebuilt.nodes == store.nodes


def test_an_absence_proof_cannot_be_made_of_a_present_key_by_stopping_early():
    a, b = bytes(31) + b"\x00", bytes(31) + b"\x01"
    store = smt.build([(a, b"x"), (b, b"y")])
    root = smt.root(store)
    proof = smt.prove(store, a)
    assert smt.verify(root, a, b"x", proof)
    for cut in range(len(proof.siblings)):
        shorter = smt.Proof(proof.siblings[:cut], None)
        assert not smt.verify(root, a, None, shorter)
        claimed = smt.Proof(proof.siblings[:cut], (b, smt.value_hash(b"y")))
        assert not smt.verify(root, a, None, claimed)


# --- events and the two trees -----------------------------------------------------------------


def _registered(asset: int) -> MapEvent:
    data = {"kind": "invention", "number": NUMBERS[asset], "status": "granted"}
    return MapEvent("asset.registered", {"asset": asset + 1, "parties": [1]}, data, {}, f"r{asset}")


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["pledge", "cancel", "revoke", "freeze", "lift", "pending", "cleared"]),
        st.lists(st.integers(0, len(NUMBERS) - 1), min_size=1, max_size=3, unique=True),
        st.integers(1, 6),  # pledge or freeze id
    ),
    max_size=40,
)


class Model:
    """What the public notice and the restricted state should be, per number."""

    def __init__(self) -> None:
        self.pledges: dict[int, tuple[str, list[int]]] = {}  # live pledge -> (reg no, assets)
        self.freezes: dict[int, int] = {}  # active freeze -> asset
        self.pending: set[int] = set()

    def public(self, asset: int) -> list[dict]:
        live = [(p, reg) for p, (reg, assets) in self.pledges.items() if asset in assets]
        return [{"id": p, "registration_number": reg} for p, reg in sorted(live)]

    def restricted(self, asset: int) -> bool:
        return asset in self.freezes.values() or asset in self.pending


def _events(actions, seq_start: int = 0) -> tuple[list[MapEvent], Model]:
    model, events, serial = Model(), [_registered(a) for a in range(len(NUMBERS))], seq_start
    for action, assets, ident in actions:
        serial += 1
        sealed = f"sealed-{serial}"
        refs = {"assets": [a + 1 for a in assets], "pledge": ident}
        if action == "pledge" and ident not in model.pledges:
            if any(model.public(a) for a in assets):
                continue  # R09: the registry refuses a second pledge
            reg = f"IPX-P-2026-{ident:06d}"
            model.pledges[ident] = (reg, assets)
            events.append(
                MapEvent("pledge.registered", refs, {"registration_number": reg}, {}, sealed)
            )
        elif action in ("cancel", "revoke") and ident in model.pledges:
            refs["assets"] = [a + 1 for a in model.pledges.pop(ident)[1]]
            kind = "pledge.cancelled" if action == "cancel" else "pledge.revoked"
            events.append(MapEvent(kind, refs, {"status": kind[7:]}, {}, sealed))
        elif action == "freeze" and ident not in model.freezes:
            model.freezes[ident] = assets[0]
            refs = {"asset": assets[0] + 1, "freeze": ident}
            events.append(MapEvent("asset.frozen", refs, {"court": "c"}, {}, sealed))
        elif action == "lift" and ident in model.freezes:
            refs = {"asset": model.freezes.pop(ident) + 1, "freeze": ident}
            events.append(MapEvent("asset.freeze_lifted", refs, {"frozen": False}, {}, sealed))
        elif action in ("pending", "cleared"):
            flag = action == "pending"
            (model.pending.add if flag else model.pending.discard)(assets[0])
            refs = {"asset": assets[0] + 1}
            events.append(
                MapEvent("asset.changed", refs, {"invalidation_pending": flag}, {}, sealed)
            )
    return events, model


def _certificate(replay: Replay, number: str, state: list[dict]) -> dict:
    public = replay.stores[PUBLIC]
    return {
        "number": number,
        "key": key_of(number).hex(),
        "state": {"pledges": state},
        "proof": smt.prove(public, key_of(number)).to_json(),
        "restricted_root": _b64(replay.roots()[1]),
    }


@settings(max_examples=150, deadline=None)
@given(ACTIONS)
def test_every_asset_is_certified_with_exactly_its_pledges_and_nothing_else(actions):
    events, model = _events(actions)
    replay = Replay()
    roots = []
    for event in events:
        replay.apply(event)
        roots.append(map_root(*replay.roots()))
    committed = map_root(*replay.roots())
    for asset, number in enumerate(NUMBERS):
        expected = model.public(asset)
        certificate = _certificate(replay, number, expected)
        found = encumbrances.check_certificate(certificate, 7, committed)
        assert found.pledges == expected
        # any other state of this asset fails
        others = [
            expected[:-1],
            [*expected, {"id": 99, "registration_number": "IPX-P-2026-000099"}],
        ]
        if expected:
            renamed = [{**expected[0], "registration_number": "IPX-P-1999-000001"}, *expected[1:]]
            others.append(renamed)
        for state in others:
            if state != expected:
                _refused({**certificate, "state": {"pledges": state}}, committed)
        # another asset's number with this proof fails (unless both are free: absence proofs
        # of two keys may coincide only when the same leaf or emptiness covers both)
        for other, other_number in enumerate(NUMBERS):
            if other != asset and (expected or model.public(other)):
                moved = {**certificate, "number": other_number, "key": key_of(other_number).hex()}
                moved["state"] = {"pledges": model.public(other)}
                if (
                    smt.prove(replay.stores[PUBLIC], key_of(other_number)).to_json()
                    != certificate["proof"]
                ):
                    _refused(moved, committed)
        # any other root fails
        for earlier in roots:
            if earlier != committed:
                _refused(certificate, earlier)
        _refused({**certificate, "restricted_root": _b64(b"\1" * 32)}, committed)
    for number in NEVER:
        assert encumbrances.check_certificate(_certificate(replay, number, []), 7, committed)
    # The restricted tree holds a leaf exactly for the numbers with restricted state.
    restricted = replay.stores[RESTRICTED]
    for asset, number in enumerate(NUMBERS):
        assert (smt.get(restricted, key_of(number)) is not None) == model.restricted(asset)


def _refused(certificate: dict, committed: bytes) -> None:
    try:
        encumbrances.check_certificate(certificate, 7, committed)
    except ValueError:
        return
    raise AssertionError(f"accepted a false certificate: {certificate['state']}")


@settings(max_examples=60, deadline=None)
@given(ACTIONS)
def test_replaying_the_same_log_gives_the_same_roots(actions):
    events, _ = _events(actions)
    first, second = Replay(), Replay()
    for event in events:
        first.apply(event)
    for event in events:
        second.apply(event)
    assert first.roots() == second.roots()
    assert first.stores[PUBLIC].nodes == second.stores[PUBLIC].nodes


def test_restricted_leaves_are_salted_by_the_sealed_record():
    a = Replay()
    a.apply(_registered(0))
    a.apply(MapEvent("asset.frozen", {"asset": 1, "freeze": 1}, {}, {}, "one record"))
    b = Replay()
    b.apply(_registered(0))
    b.apply(MapEvent("asset.frozen", {"asset": 1, "freeze": 1}, {}, {}, "another record"))
    assert a.roots()[0] == b.roots()[0] == smt.EMPTY
    assert a.roots()[1] != b.roots()[1]  # the same state, unguessable roots
    a.apply(MapEvent("asset.freeze_lifted", {"asset": 1, "freeze": 1}, {}, {}, "x"))
    assert a.roots() == (smt.EMPTY, smt.EMPTY)


def test_extension_line_round_trips_and_a_second_or_malformed_line_is_refused():
    root = hashlib.sha256(b"map").digest()
    line = encumbrances.extension_line(root)
    assert encumbrances.root_in([line]) == root
    assert encumbrances.root_in(["other/v1 stuff"]) is None
    for bad in ([line, line], [line[:-5]], [line + "x"], [f"{encumbrances.EXTENSION} !!"]):
        try:
            encumbrances.root_in(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


# --- the checkpoint's extension line ----------------------------------------------------------


def test_a_checkpoint_with_the_map_line_round_trips_and_one_without_still_verifies():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ipx.ledger import verify
    from ipx.ledger.note import Checkpoint, parse_and_verify_note, sign_checkpoint

    key = Ed25519PrivateKey.generate()
    public = _b64(key.public_key().public_bytes_raw())
    root, map_hash = hashlib.sha256(b"log").digest(), map_root(smt.EMPTY, smt.EMPTY)
    line = encumbrances.extension_line(map_hash)
    with_line = sign_checkpoint(Checkpoint("ipx.example/log", 3, root, (line,)), "k", key)
    without = sign_checkpoint(Checkpoint("ipx.example/log", 3, root), "k", key)
    assert with_line.split("\n")[3] == line
    assert parse_and_verify_note(with_line, "k", key.public_key()).extensions == (line,)
    assert parse_and_verify_note(without, "k", key.public_key()).extensions == ()
    certificate = {
        "number": NUMBERS[0],
        "state": {"pledges": []},
        "proof": {"siblings": [], "leaf": None},
        "restricted_root": _b64(smt.EMPTY),
    }
    found, checkpoint = verify.verify_certificate({**certificate, "checkpoint": with_line}, public)
    assert found.pledges == [] and checkpoint.tree_size == 3
    try:
        verify.verify_certificate({**certificate, "checkpoint": without}, public)
    except verify.VerificationError as exc:
        assert exc.check == "map_root"
    else:
        raise AssertionError("a checkpoint without the map line certified something")
