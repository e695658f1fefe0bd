"""Every amount of money in an answer has its ISO 4217 currency beside it (DESIGN: a decimal
string plus `currency`): bids and their refusals, a valuation's collateral, a transfer's
proceeds, a portfolio revaluation; and amounts in two currencies are never divided."""

from __future__ import annotations

import json

import pytest

from tests.api.test_disposal_flow import API, Scene

ECONOMICS = {"annual_revenue": "2000000.00", "royalty_rate": 0.05, "discount_rate": 0.1}


@pytest.fixture
def scene(client, registry, keys):
    return Scene(client, registry, keys)


def test_bids_and_their_refusals_carry_the_disposals_currency(scene):
    scene.default()
    disposal = scene.open()
    assert disposal["currency"] == "CNY"
    bid = scene.bid(disposal, scene.buyers[0], "900000.00")
    assert (bid["amount"], bid["currency"]) == ("900000.00", "CNY")
    [listed] = scene.get(f"/disposals/{disposal['id']}/bids", scene.bank_key)["items"]
    assert (listed["id"], listed["currency"]) == (bid["id"], "CNY")
    refused = scene.bid(disposal, scene.buyers[1], "100.00", status=409)
    assert (refused["code"], refused["reserve_price"], refused["currency"]) == (
        "bid-below-reserve",
        "800000.00",
        "CNY",
    )


def test_a_usd_disposal_lists_its_bids_in_usd(client, registry, keys):
    scene = Scene(client, registry, keys)
    scene.pledge = registry.pledge(
        scene.owner, scene.bank, [registry.asset([scene.owner])["id"]], currency="USD"
    )
    scene.default()
    disposal = scene.open()
    assert disposal["currency"] == "USD"
    assert scene.bid(disposal, scene.buyers[0], "900000.00")["currency"] == "USD"


def test_a_valuations_collateral_is_in_the_values_currency(scene, client):
    answer = client.post(
        f"{API}/valuations",
        json={"asset_id": scene.asset_ids[0], "loan_term_months": 24, "economics": ECONOMICS},
        headers=scene.bank_key,
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["value"]["currency"] == "CNY"
    assert body["collateral"]["currency"] == body["value"]["currency"]
    again = scene.get(f"/valuations/{body['id']}", scene.bank_key)
    assert again["collateral"] == body["collateral"]


def test_a_transfers_proceeds_are_in_the_debts_currency(scene):
    body = {
        "asset_id": scene.asset_ids[0],
        "kind": "licence",
        "to_party_ids": [scene.buyers[0]],
        "pledgee_consent": True,
        "proceeds": "early_repayment",
        "proceeds_amount": "1500000.00",
    }
    answer = scene.post("/transfers", body, status=201)
    assert (answer["proceeds_amount"], answer["currency"]) == ("1500000.00", "CNY")
    plain = scene.post(
        "/transfers",
        {
            "asset_id": scene.asset_ids[0],
            "kind": "licence",
            "to_party_ids": [scene.buyers[1]],
            "pledgee_consent": True,
            "proceeds": "escrow",  # no amount recorded: no currency either
        },
        status=201,
    )
    assert plain["proceeds_amount"] is None and plain["currency"] is None


def test_a_revaluation_names_its_currency_and_never_divides_cny_by_usd(client, registry, keys):
    owner, bank = registry.party(), registry.party()
    in_cny = registry.pledge(owner, bank, [registry.asset([owner])["id"]])
    in_usd = registry.pledge(owner, bank, [registry.asset([owner])["id"]], currency="USD")
    headers = keys.header("bank", bank)
    for pledge in (in_cny, in_usd):  # the revaluation takes the economics of the last one
        body = {"asset_id": pledge["asset_ids"][0], "loan_term_months": 24, "economics": ECONOMICS}
        valued = client.post(f"{API}/valuations", json=body, headers=headers)
        assert valued.status_code == 201, valued.get_json()
    answer = client.post(f"{API}/portfolio/revaluations", json={}, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    items = {item["pledge_id"]: item for item in answer.get_json()["items"]}
    cny, usd = items[in_cny["id"]], items[in_usd["id"]]
    assert cny["currency"] == usd["currency"] == "CNY"
    assert cny["new_collateral_value"] is not None and cny["coverage"] is not None
    assert isinstance(cny["breach"], bool)
    assert usd["new_collateral_value"] is not None  # valued, in CNY ...
    assert usd["coverage"] is None and usd["breach"] is None  # ... and not set against USD


def _restamp(app, valuation_id: int, change) -> None:
    """Change a stored valuation's result (as one stored before a field existed, say)."""
    from ipx.db_ext import database
    from ipx.valuation.orm import Valuation

    with database(app).sessions() as session:
        row = session.get(Valuation, valuation_id)
        result = json.loads(json.dumps(row.result))
        change(result)
        row.result = result
        session.commit()


def test_an_earlier_value_in_another_currency_is_not_shown_beside_the_new_ones(
    app, client, registry, keys
):
    owner, bank = registry.party(), registry.party()
    assets = [registry.asset([owner])["id"] for _ in range(2)]
    pledge = registry.pledge(owner, bank, assets, secured_amount="900000000.00")
    headers = keys.header("bank", bank)
    made = []
    for asset_id in assets:
        body = {"asset_id": asset_id, "loan_term_months": 24, "economics": ECONOMICS}
        made.append(client.post(f"{API}/valuations", json=body, headers=headers).get_json())
    _restamp(app, made[0]["id"], lambda result: result["value"].update(currency="USD"))
    answer = client.post(f"{API}/portfolio/revaluations", json={}, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    [item] = [i for i in answer.get_json()["items"] if i["pledge_id"] == pledge["id"]]
    # The new values (CNY) against the CNY debt: judged as ever, the breach announced; the
    # earlier values, one in USD, are not added up beside them.
    assert item["currency"] == "CNY" and item["old_collateral_value"] is None
    assert item["new_collateral_value"] is not None and item["coverage"] is not None
    assert item["breach"] is True
