"""Leaf format 2: the public notice in clear, every other event as keyed digests, each leaf
bound to its sealed record (``ipx.ledger.disclosure``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipx.ledger import disclosure
from ipx.ledger.canonical import canonical_json, parse_canonical_json, sha256_hex
from ipx.ledger.disclosure import (
    REF_PADDING,
    build_leaf,
    check_sealed,
    derive_blinding_key,
    entry_key,
    is_public,
    open_entry,
    seal_record,
)
from ipx.ledger.events import Event, leaf_bytes, sealed_details

BLINDING = derive_blinding_key(bytes(range(32)))
TIME = "2026-03-01T08:30:15.123456Z"
ACTOR = "key:5f1c2a9b7d3e"

DEFAULT = {
    "type": "pledge.defaulted",
    "actor": ACTOR,
    "refs": {"pledge": 7, "assets": [3, 4], "parties": [11, 12], "default": 2},
    "data": {"status": "defaulted"},
    "digests": {"state:pledge:7": "ab" * 32, "state:default:2": "cd" * 32},
    "private": {"principal": "1000000.00", "interest": "50000.00", "penalties": "0.00"},
}
REGISTRATION = {
    "type": "pledge.registered",
    "actor": ACTOR,
    "refs": {"application": 5, "assets": [3], "parties": [11, 12], "pledge": 7},
    "data": {"registration_number": "IPX-P-2026-000007", "status": "registered"},
    "digests": {"state:pledge:7": "ab" * 32, "state:application:5": "ef" * 32},
    "private": {"secured_amount": "5000000.00"},
}


def _entry(fields: dict, seq: int = 12, key: bytes | None = None) -> tuple[dict, str, bytes]:
    """(parsed leaf, record text, entry key) as the log writes entry ``seq``."""
    record = seal_record(**fields)
    key = key or entry_key(BLINDING, seq)
    text = build_leaf(record, seq=seq, time=TIME, key=key, public=is_public(fields["type"]))
    return parse_canonical_json(text), record, key


def test_a_confidential_event_shows_neither_its_type_nor_its_ids_nor_its_actor():
    leaf, record, _ = _entry(DEFAULT)
    assert set(leaf) == {"v", "seq", "time", "blinded", "digests"}
    assert leaf["digests"] == {"details": sha256_hex(record)}
    text = json.dumps(leaf)
    for clear in ("defaulted", "pledge", "default", "parties", "assets", ACTOR, "5f1c2a9b7d3e"):
        assert clear not in text
    assert set(leaf["blinded"]) == {"type", "actor", "refs"}
    assert len(leaf["blinded"]["refs"]) == REF_PADDING  # 6 ids, padded
    assert leaf["blinded"]["refs"] == sorted(leaf["blinded"]["refs"])


def test_the_public_notice_stays_in_clear_but_not_the_actor_nor_other_records():
    leaf, record, _ = _entry(REGISTRATION)
    assert leaf["type"] == "pledge.registered"
    assert leaf["data"] == REGISTRATION["data"]
    assert leaf["refs"] == {"assets": [3], "parties": [11, 12], "pledge": 7}  # no application
    assert leaf["digests"] == {"state:pledge:7": "ab" * 32, "details": sha256_hex(record)}
    assert set(leaf["blinded"]) == {"actor"}
    assert ACTOR not in json.dumps(leaf) and "5000000.00" not in json.dumps(leaf)


@pytest.mark.parametrize(
    "event_type",
    [
        "pledge.defaulted",
        "disposal.bid",
        "disposal.opened",
        "disposal.sold",
        "valuation.created",
        "asset.licence",
        "asset.assignment",
        "asset.frozen",
        "party.created",
        "application.submitted",
        "transfer.awaiting_consent",  # a type no one has written yet is blinded too
    ],
)
def test_only_the_public_notice_is_public_and_anything_else_is_blinded(event_type):
    assert not is_public(event_type)
    leaf, _, _ = _entry({**DEFAULT, "type": event_type})
    assert "type" not in leaf and event_type not in json.dumps(leaf)


def test_equal_values_in_two_entries_give_unrelated_digests():
    first, _, _ = _entry(DEFAULT, seq=12)
    second, _, _ = _entry(DEFAULT, seq=13)
    assert first["blinded"]["type"] != second["blinded"]["type"]
    assert not set(first["blinded"]["refs"]) & set(second["blinded"]["refs"])
    other_instance = entry_key(derive_blinding_key(bytes(32) + b"x"), 12)
    third, _, _ = _entry(DEFAULT, seq=12, key=other_instance)
    assert third["blinded"]["actor"] != first["blinded"]["actor"]


def test_the_seal_of_the_record_is_salted():
    assert seal_record(**DEFAULT) != seal_record(**DEFAULT)


@pytest.mark.parametrize("count, padded", [(0, 8), (1, 8), (8, 8), (9, 16)])
def test_the_number_of_ids_shows_only_in_steps_of_the_padding(count, padded):
    refs = {"bids": list(range(1, count + 1))}
    assert len(disclosure.blinded_refs(entry_key(BLINDING, 0), refs)) == padded


def test_a_record_and_its_leaf_check_and_open_to_the_event():
    leaf, record, key = _entry(DEFAULT)
    opened = check_sealed(leaf, record, key)
    assert (opened.type, opened.actor, opened.refs) == ("pledge.defaulted", ACTOR, DEFAULT["refs"])
    assert opened.private == DEFAULT["private"] and not opened.public
    assert opened.event() == DEFAULT
    assert open_entry(canonical_json(leaf).decode(), record) == opened


def _edit(record: str, old: str, new: str) -> str:
    assert old in record
    return record.replace(old, new, 1)


def _reseal(leaf: dict, record: str) -> dict:
    """The leaf with its seal recomputed for an edited record (no key needed for that)."""
    return {**leaf, "digests": {**leaf["digests"], "details": sha256_hex(record)}}


def test_an_edited_record_no_longer_matches_its_leaf():
    leaf, record, key = _entry(DEFAULT)
    edited = _edit(record, '"principal":"1000000.00"', '"principal":"10.00"')
    with pytest.raises(ValueError, match="confidential details"):
        check_sealed(leaf, edited, key)


def test_a_record_edited_with_its_seal_recomputed_fails_the_keyed_digests():
    leaf, record, key = _entry(DEFAULT)
    edited = _edit(record, '"type":"pledge.defaulted"', '"type":"pledge.extended"')
    with pytest.raises(ValueError, match="not what its sealed record makes of it"):
        check_sealed(_reseal(leaf, edited), edited, key)
    # Without the key, only the keyed digests go unchecked (ipx verify always has it).
    assert check_sealed(_reseal(leaf, edited), edited, None).type == "pledge.extended"


def test_another_entrys_record_does_not_fit_a_leaf():
    leaf, _, key = _entry(DEFAULT, seq=12)
    _, same_event, _ = _entry(DEFAULT, seq=13)
    with pytest.raises(ValueError, match="confidential details"):
        check_sealed(leaf, same_event, key)  # salted: even the same event's record differs
    _, bid, _ = _entry({**DEFAULT, "type": "disposal.bid", "refs": {"bid": 4}}, seq=13)
    with pytest.raises(ValueError, match="not what its sealed record makes of it"):
        check_sealed(_reseal(leaf, bid), bid, key)


def test_a_blinded_leaf_cannot_be_passed_off_as_public_nor_the_reverse():
    leaf, record, key = _entry(DEFAULT)
    with pytest.raises(ValueError):
        check_sealed({**leaf, "type": "pledge.defaulted"}, record, key)
    public, record, key = _entry(REGISTRATION)
    with pytest.raises(ValueError):
        check_sealed({k: v for k, v in public.items() if k != "type"}, record, key)


@pytest.mark.parametrize(
    "record",
    [
        "[]",
        '{"type":"x"}',
        canonical_json({**DEFAULT, "salt": 5}).decode(),
        canonical_json({**DEFAULT, "salt": "ab", "extra": 1}).decode(),
        json.dumps({**DEFAULT, "salt": "ab"}),  # not canonical
    ],
)
def test_a_malformed_record_is_refused(record):
    leaf, _, key = _entry(DEFAULT)
    with pytest.raises(ValueError):
        check_sealed(_reseal(leaf, record), record, key)


def test_the_registry_may_not_use_the_seals_name():
    with pytest.raises(ValueError):
        seal_record(**{**DEFAULT, "digests": {"details": "00" * 32}})


def test_a_format_1_entry_opens_and_checks_by_its_own_rules():
    event = Event("pledge.registered", refs={"pledge": 7}, data={"status": "registered"})
    details, digest = sealed_details({"secured_amount": "5000000.00"})
    event = Event(event.type, event.refs, event.data, {"details": digest})
    text = leaf_bytes(event, seq=3, time=datetime(2026, 1, 1, tzinfo=UTC), actor=ACTOR).decode()
    opened = check_sealed(parse_canonical_json(text), details, None)
    assert (opened.version, opened.actor, opened.public) == (1, ACTOR, True)
    assert opened.private == {"secured_amount": "5000000.00"}
    with pytest.raises(ValueError, match="confidential details"):
        check_sealed(parse_canonical_json(text), details.replace("5000000", "5"), None)


def test_an_unknown_leaf_format_is_refused():
    leaf, record, key = _entry(DEFAULT)
    with pytest.raises(ValueError, match="unknown leaf format"):
        check_sealed({**leaf, "v": 3}, record, key)


def test_the_blinding_key_needs_a_real_secret():
    with pytest.raises(ValueError):
        derive_blinding_key(b"short")
    assert derive_blinding_key(bytes(32)) != bytes(32)


ids = st.lists(st.integers(min_value=1, max_value=10**12), max_size=20)


@settings(max_examples=60, deadline=None)
@given(
    event_type=st.sampled_from(["pledge.registered", "pledge.cancelled", "disposal.bid", "x.y"]),
    assets=ids,
    parties=ids,
    amount=st.decimals(min_value=0, max_value=10**9, places=2).map(str),
    seq=st.integers(min_value=0, max_value=2**40),
)
def test_every_written_leaf_checks_and_any_edit_of_its_record_fails(
    event_type, assets, parties, amount, seq
):
    fields = {
        **DEFAULT,
        "type": event_type,
        "refs": {"assets": assets, "parties": parties},
        "private": {"amount": amount},
    }
    leaf, record, key = _entry(fields, seq=seq)
    assert check_sealed(leaf, record, key).refs == fields["refs"]
    assert len(leaf.get("blinded", {}).get("refs", [])) % REF_PADDING == 0
    edited = _edit(record, f'"amount":"{amount}"', f'"amount":"{amount}1"')
    with pytest.raises(ValueError):
        check_sealed(leaf, edited, key)


def test_a_keyed_digest_is_hmac_sha256_of_the_canonical_list():
    import hashlib
    import hmac

    key = entry_key(BLINDING, 3)
    for parts in (("ref", "pledge", 7), ("actor", "user:张伟"), ("pad", 0)):
        expected = hmac.new(key, canonical_json(list(parts)), hashlib.sha256).hexdigest()
        assert disclosure.keyed_digest(key, *parts) == expected
    assert entry_key(BLINDING, 3) == hmac.new(BLINDING, b'["entry",3]', hashlib.sha256).digest()
