"""The public log reveals only what the public notice reveals (issue 11).

A default, a bid, a valuation and a transfer are in the log as keyed digests only: no type,
no party, asset or key id in clear for anyone without a key, nor for a bank or owner the event
does not name. Clerks, auditors, the parties an event names and whoever did it see it in clear,
with what they need to check that it is what the public leaf commits to.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from sqlalchemy import select

from ipx.db_ext import database
from ipx.ledger.tables import LedgerEntry
from ipx.ledger.verify import main, verify_receipt
from tests.api.test_disposal_flow import Scene

API = "/api/v1"
CONFIDENTIAL = ("pledge.defaulted", "disposal.bid", "valuation.created", "asset.licence")


class Confidential(Scene):
    """A pledge with a licence (the pledgee consenting), a valuation by the bank, a default, a
    disposal and a bid: the log entry of each, by type."""

    def __init__(self, app, client, registry, keys):
        super().__init__(client, registry, keys)
        self.app, self.keys = app, keys
        self.licensee = registry.party("许可方科技有限公司")
        self.stranger = keys.header("bank", registry.party("招商银行股份有限公司"))
        body = {
            "asset_id": self.asset_ids[0],
            "kind": "licence",
            "to_party_ids": [self.licensee],
            "pledgee_consent": True,
            "proceeds": "escrow",
        }
        self.post("/transfers", body, status=201)
        self.valuation = self.post(
            "/valuations", {"asset_id": self.asset_ids[0]}, self.bank_key, status=201
        )
        self.default()
        self.disposal = self.open()
        self.bid(self.disposal, self.buyers[0], "900000.00")
        self.seq = self._entries()

    def _entries(self) -> dict[str, int]:
        with database(self.app).sessions() as session:
            rows = session.execute(select(LedgerEntry.type, LedgerEntry.seq)).all()
        return {kind: seq for kind, seq in rows}

    def entry(self, kind: str, headers: dict | None = None) -> dict:
        response = self.client.get(f"{API}/ledger/entries/{self.seq[kind]}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def world(app, client, registry, keys):
    return Confidential(app, client, registry, keys)


def _key_ids(world) -> set[str]:
    """The key ids behind every header the scene used (what an actor id would reveal)."""
    headers = [world.clerk, world.bank_key, world.owner_key]
    return {re.match(r"Bearer ipx_([0-9a-f]+)_", h["Authorization"]).group(1) for h in headers}


@pytest.mark.parametrize("kind", CONFIDENTIAL)
def test_anonymous_readers_see_no_type_ids_or_key_of_a_confidential_event(world, kind):
    for headers in (None, world.stranger):  # no key; a bank the event does not name
        body = world.entry(kind, headers)
        assert set(body) == {"index", "leaf", "leaf_hash"}
        leaf = json.loads(body["leaf"])
        assert set(leaf) == {"v", "seq", "time", "blinded", "digests"}
        assert set(leaf["digests"]) == {"details"}
        text = body["leaf"]
        assert set(leaf["blinded"]) == {"type", "actor", "refs"}  # the labels of the digests
        for word in (kind, *kind.split("."), "party", "parties", "asset", "pledge", "key"):
            assert f'"{word}' not in text and f"{word}:" not in text, word
        assert not any(key_id in text for key_id in _key_ids(world))
        assert "900000.00" not in text and "1000000.00" not in text
        # Every other value is a seq, a time or a digest: no record id is left in clear.
        assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in leaf["blinded"]["refs"])


def _event(world, kind, headers) -> dict:
    body = world.entry(kind, headers)
    leaf = json.loads(body["leaf"])
    assert hashlib.sha256(body["record"].encode()).hexdigest() == leaf["digests"]["details"]
    assert body["event"]["type"] == kind
    return body["event"]


def test_clerks_and_auditors_see_every_confidential_event_in_clear(world, keys):
    for headers in (world.clerk, keys.header("auditor")):
        default = _event(world, "pledge.defaulted", headers)
        assert default["refs"]["pledge"] == world.pledge["id"]
        assert default["private"]["principal"] == "1000000.00"
        assert default["actor"].startswith("key:")
        bid = _event(world, "disposal.bid", headers)
        assert bid["refs"]["parties"] == [world.buyers[0]]
        assert bid["private"]["amount"] == "900000.00"
        assert (
            _event(world, "valuation.created", headers)["refs"]["valuation"]
            == (world.valuation["id"])
        )
        assert world.licensee in _event(world, "asset.licence", headers)["refs"]["parties"]


def test_the_parties_an_event_names_and_its_actor_see_it_in_clear(world, keys):
    assert _event(world, "pledge.defaulted", world.bank_key)["private"]["interest"] == "50000.00"
    assert _event(world, "pledge.defaulted", world.owner_key)["refs"]["parties"] == [
        world.owner,
        world.bank,
    ]
    bidder = keys.header("bank", world.buyers[0])
    assert _event(world, "disposal.bid", bidder)["private"]["amount"] == "900000.00"
    licensee = keys.header("owner", world.licensee)
    assert _event(world, "asset.licence", licensee)["refs"]["asset"] == world.asset_ids[0]
    # Nobody names the bank in its valuation, but it asked for it.
    assert (
        _event(world, "valuation.created", world.bank_key)["refs"]["asset"] == (world.asset_ids[0])
    )
    # The other bidder is named by none of these.
    other_bidder = keys.header("bank", world.buyers[1])
    for kind in CONFIDENTIAL:
        assert "event" not in world.entry(kind, other_bidder)
    assert "event" not in world.entry("valuation.created", world.owner_key)


def test_the_public_notice_stays_in_clear_without_the_key_that_acted(world):
    leaf = json.loads(world.entry("pledge.registered")["leaf"])
    assert leaf["type"] == "pledge.registered"
    assert leaf["data"]["registration_number"] == world.pledge["registration_number"]
    assert leaf["refs"] == {
        "assets": world.asset_ids,
        "parties": [world.owner, world.bank],
        "pledge": world.pledge["id"],
    }
    assert "actor" not in leaf and set(leaf["blinded"]) == {"actor"}
    assert not any(key_id in json.dumps(leaf) for key_id in _key_ids(world))


def test_a_receipt_of_a_blinded_event_verifies_offline(world, client, keys, tmp_path, capsys):
    public_key = client.get(f"{API}/ledger/public-key").get_json()["public_key"]
    url = f"{API}/ledger/entries/{world.seq['pledge.defaulted']}/receipt"
    for headers in (world.clerk, world.bank_key):
        receipt = client.get(url, headers=headers).get_json()
        verified = verify_receipt(receipt, public_key)
        assert verified.event["type"] == "pledge.defaulted" and "type" not in verified.leaf
        assert verified.event["private"]["penalties"] == "10000.00"
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt))
    assert main([str(path), "--public-key", public_key]) == 0
    assert "sealed record (pledge.defaulted)" in capsys.readouterr().out
    assert client.get(url, headers=world.stranger).status_code == 404
    assert client.get(url).status_code == 401
    missing = f"{API}/ledger/entries/99999/receipt"
    assert client.get(missing, headers=world.clerk).status_code == 404


def test_the_pledge_receipt_carries_the_registration_in_clear(world, client):
    public_key = client.get(f"{API}/ledger/public-key").get_json()["public_key"]
    receipt = client.get(
        f"{API}/pledges/{world.pledge['id']}/receipt", headers=world.owner_key
    ).get_json()
    verified = verify_receipt(receipt, public_key)
    assert verified.event["private"]["secured_amount"] == "5000000.00"
    assert verified.leaf["type"] == "pledge.registered"


def test_histories_still_show_the_parties_every_event_in_clear(world):
    items = world.get(f"/pledges/{world.pledge['id']}/history", world.bank_key)["items"]
    by_type = {item["type"]: item for item in items}
    default = by_type["pledge.defaulted"]
    assert default["changes"]["principal"] == "1000000.00"
    assert default["actor"].startswith("key:")
    leaf = json.loads(world.entry("pledge.defaulted")["leaf"])
    assert (
        hashlib.sha256(default["sealed_details"].encode()).hexdigest()
        == (leaf["digests"]["details"])
    )


def test_an_invalid_key_on_the_public_entry_is_refused_not_ignored(world, client):
    response = client.get(
        f"{API}/ledger/entries/0", headers={"Authorization": "Bearer ipx_00_nope"}
    )
    assert response.status_code == 401
