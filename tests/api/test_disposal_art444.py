"""Civil Code Art. 444: proceeds of a consented transfer of a pledged asset, and their effect."""

from __future__ import annotations

import pytest

from tests.api.test_disposal_flow import API, Scene


@pytest.fixture
def scene(client, registry, keys):
    return Scene(client, registry, keys)


def _transfer(scene, status=201, **body):
    body = {
        "asset_id": scene.asset_ids[0],
        "kind": "licence",
        "to_party_ids": [scene.buyers[0]],
        "pledgee_consent": True,
        "proceeds": "early_repayment",
    } | body
    return scene.post("/transfers", body, status=status)


def test_early_repayment_below_the_debt_reduces_the_secured_amount(scene):
    answer = _transfer(scene, proceeds_amount="1500000.00")
    assert (answer["proceeds_amount"], answer["debt_after"], answer["pledge_status"]) == (
        "1500000.00",
        "3500000.00",
        "registered",
    )
    pledge = scene.get(f"/pledges/{scene.pledge['id']}")
    assert (pledge["status"], pledge["secured_amount"]) == ("registered", "3500000.00")
    history = scene.get(f"/pledges/{scene.pledge['id']}/history")["items"]
    assert history[-1]["type"] == "pledge.proceeds_early_repayment"


def test_early_repayment_covering_the_debt_cancels_the_pledge_as_repaid(scene, client):
    answer = _transfer(scene, kind="assignment", proceeds_amount="5000000.00")
    assert (answer["debt_after"], answer["pledge_status"]) == ("0.00", "cancelled")
    pledge = scene.get(f"/pledges/{scene.pledge['id']}")
    assert (pledge["status"], pledge["closing_reason"]) == ("cancelled", "repaid")
    assert scene.get(f"/assets/{scene.asset_ids[0]}")["holder_ids"] == [scene.buyers[0]]
    public = client.get(f"{API}/public/encumbrances?number={scene.assets[0]['number']}")
    assert public.get_json()["items"][0]["closing_reason"] == "repaid"


def test_escrow_records_the_amount_held_and_leaves_the_debt(scene):
    answer = _transfer(scene, proceeds="escrow", proceeds_amount="200000.00")
    assert (answer["proceeds"], answer["proceeds_amount"], answer["debt_after"]) == (
        "escrow",
        "200000.00",
        "5000000.00",
    )
    assert scene.get(f"/pledges/{scene.pledge['id']}")["secured_amount"] == "5000000.00"


def test_early_repayment_after_default_reduces_the_debt_due_in_legal_order(scene):
    scene.default(principal="1000000.00", interest="50000.00", penalties="10000.00")
    answer = _transfer(scene, proceeds_amount="100000.00")
    assert answer["debt_after"] == "960000.00"
    outstanding = scene.get(f"/pledges/{scene.pledge['id']}/default")["outstanding"]
    assert (outstanding["interest_penalties"], outstanding["principal"]) == ("0.00", "960000.00")
    _transfer(scene, proceeds_amount="960000.00")
    assert scene.get(f"/pledges/{scene.pledge['id']}")["status"] == "cancelled"


def test_the_existing_transfer_contract_still_holds(scene):
    refused = _transfer(scene, status=409, pledgee_consent=False)
    assert refused["code"] == "pledgee-consent-required"
    assert "proceeds" in _transfer(scene, status=422, proceeds=None)["errors"]
    plain = _transfer(scene)  # no amount: where the proceeds go is recorded, nothing else
    assert (plain["proceeds"], plain["proceeds_amount"]) == ("early_repayment", None)
    assert scene.get(f"/pledges/{scene.pledge['id']}")["status"] == "registered"


def test_an_amount_needs_a_destination_and_an_unpledged_asset_has_no_proceeds(scene, registry):
    free = registry.asset([scene.owner])["id"]
    body = {"asset_id": free, "pledgee_consent": False}
    errors = _transfer(scene, status=422, proceeds=None, proceeds_amount="1.00", **body)["errors"]
    assert "proceeds_amount" in errors
    assert _transfer(scene, status=422, proceeds_amount="-1.00")["errors"]["proceeds_amount"]


def test_an_asset_in_disposal_is_not_transferred_privately(scene):
    scene.default()
    scene.open()
    assert _transfer(scene, status=409)["code"] == "pledge-in-disposal"
