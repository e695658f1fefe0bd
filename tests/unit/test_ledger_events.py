"""Leaf bytes: canonical JSON of version, seq, time, type, actor, refs, data and digests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ipx.ledger.canonical import parse_canonical_json
from ipx.ledger.events import Event, format_time, leaf_bytes, state_digest

NOW = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


def test_a_leaf_is_canonical_and_holds_every_field():
    event = Event(
        "pledge.registered", refs={"pledge": 7, "assets": [3, 4]}, data={"amount": "1.00"}
    )
    leaf = leaf_bytes(event, seq=12, time=NOW, actor="key:ab")
    assert leaf == (
        b'{"actor":"key:ab","data":{"amount":"1.00"},"digests":{},'
        b'"refs":{"assets":[3,4],"pledge":7},"seq":12,"time":"2026-03-01T08:30:15.123456Z",'
        b'"type":"pledge.registered","v":1}'
    )
    assert parse_canonical_json(leaf)["seq"] == 12


def test_non_ascii_text_is_kept_as_utf8_not_escaped():
    leaf = leaf_bytes(Event("x", data={"court": "北京知识产权法院"}), seq=0, time=NOW, actor="a")
    assert "北京知识产权法院".encode() in leaf


def test_floats_never_enter_a_leaf():
    with pytest.raises(TypeError):
        leaf_bytes(Event("x", data={"amount": 1.5}), seq=0, time=NOW, actor="a")


def test_times_are_utc_whatever_zone_they_arrive_in():
    beijing = NOW.astimezone(timezone(timedelta(hours=8)))
    assert format_time(beijing) == "2026-03-01T08:30:15.123456Z"


KEY = bytes(range(32))


def test_state_digest_ignores_key_order_but_not_values():
    assert state_digest({"a": 1, "b": "x"}, KEY) == state_digest({"b": "x", "a": 1}, KEY)
    assert state_digest({"a": 1}, KEY) != state_digest({"a": 2}, KEY)


def test_state_digest_is_keyed_so_the_public_log_cannot_be_guessed_back():
    import hashlib

    from ipx.ledger.canonical import canonical_json

    state = {"kind": "individual", "name": "张伟"}
    plain = hashlib.sha256(canonical_json(state)).hexdigest()
    assert state_digest(state, KEY) != plain
    assert state_digest(state, KEY) != state_digest(state, bytes(32))
    with pytest.raises(ValueError):
        state_digest(state, b"")
