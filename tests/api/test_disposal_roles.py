"""Disposal calls per role, and the bids the exchange refuses, with their codes."""

from __future__ import annotations

import pytest

from tests.api.test_disposal_flow import API, Scene


@pytest.fixture
def scene(client, registry, keys):
    return Scene(client, registry, keys)


@pytest.fixture
def open_disposal(scene):
    scene.default()
    return scene.open(reserve_price="800000.00")


def _code(response):
    return response.status_code, response.get_json()["code"]


def test_default_is_declared_by_the_pledgee_only(scene, client, keys, registry):
    path = f"{API}/pledges/{scene.pledge['id']}/default"
    body = {"principal": "1000.00", "interest": "0.00", "penalties": "0.00"}
    other_bank = keys.header("bank", registry.party("另一银行"))
    assert _code(client.post(path, json=body)) == (401, "unauthorized")
    assert _code(client.post(path, json=body, headers=other_bank)) == (404, "not-found")
    assert _code(client.post(path, json=body, headers=scene.owner_key)) == (403, "forbidden")
    assert _code(client.post(path, json=body, headers=keys.header("auditor"))) == (
        403,
        "forbidden",
    )
    assert client.post(path, json=body, headers=scene.bank_key).status_code == 200
    # declared once: a defaulted pledge cannot default again
    assert _code(client.post(path, json=body, headers=scene.bank_key)) == (
        409,
        "invalid-transition",
    )


def test_a_clerk_may_record_the_default_for_the_bank(scene):
    body = {"principal": "1000.00"}
    answer = scene.post(f"/pledges/{scene.pledge['id']}/default", body, status=200)
    assert (answer["status"], answer["interest"], answer["outstanding"]["total"]) == (
        "defaulted",
        "0.00",
        "1000.00",
    )


@pytest.mark.parametrize(
    "body",
    [
        {"principal": 1000.5, "interest": "0", "penalties": "0"},
        {"principal": "10.001"},
        {"principal": "-5.00"},
        {"principal": "0.00", "interest": "0.00", "penalties": "0.00"},
        {},
    ],
)
def test_default_amounts_must_be_decimal_strings_owing_something(scene, client, body):
    response = client.post(
        f"{API}/pledges/{scene.pledge['id']}/default", json=body, headers=scene.bank_key
    )
    assert _code(response) == (422, "validation-failed")


def test_clerk_endpoints_refuse_banks_and_owners(scene, open_disposal, client):
    calls = [
        (f"/pledges/{scene.pledge['id']}/disposals", {"method": "auction", "costs": "1.00"}),
        (f"/disposals/{open_disposal['id']}/bids", {"bidder_id": 1, "amount": "1.00"}),
        (f"/disposals/{open_disposal['id']}/close", {}),
    ]
    for path, body in calls:
        for headers in (scene.owner_key, scene.bank_key):
            assert _code(client.post(API + path, json=body, headers=headers)) == (
                403,
                "forbidden",
            )
        assert _code(client.post(API + path, json=body)) == (401, "unauthorized")


def test_parties_see_their_disposals_and_others_get_404(
    scene, open_disposal, client, keys, registry
):
    path = f"{API}/disposals/{open_disposal['id']}"
    for headers in (scene.owner_key, scene.bank_key, scene.clerk, keys.header("auditor")):
        assert client.get(path, headers=headers).status_code == 200
    stranger = registry.party("无关银行")
    for role in ("bank", "owner"):
        headers = keys.header(role, stranger)
        assert _code(client.get(path, headers=headers)) == (404, "not-found")
        assert _code(client.get(f"{path}/statement", headers=headers)) == (404, "not-found")
        assert client.get(f"{API}/disposals", headers=headers).get_json()["items"] == []
    mine = client.get(f"{API}/disposals", headers=scene.owner_key).get_json()["items"]
    assert [d["id"] for d in mine] == [open_disposal["id"]]
    assert _code(client.get(path)) == (401, "unauthorized")


def test_transactions_are_for_clerks_and_auditors(scene, client, keys):
    assert client.get(f"{API}/transactions", headers=keys.header("auditor")).status_code == 200
    for headers in (scene.owner_key, scene.bank_key):
        assert _code(client.get(f"{API}/transactions", headers=headers)) == (403, "forbidden")
    assert _code(client.get(f"{API}/transactions")) == (401, "unauthorized")


def test_a_disposal_needs_a_defaulted_pledge(scene, client):
    body = {"method": "auction", "reserve_price": "1.00", "costs": "0.00"}
    response = client.post(
        f"{API}/pledges/{scene.pledge['id']}/disposals", json=body, headers=scene.clerk
    )
    assert _code(response) == (409, "invalid-transition")


def test_a_second_disposal_of_a_pledge_in_disposal_is_refused(scene, open_disposal, client):
    body = {"method": "listing", "reserve_price": "1.00", "costs": "0.00"}
    response = client.post(
        f"{API}/pledges/{scene.pledge['id']}/disposals", json=body, headers=scene.clerk
    )
    assert _code(response) == (409, "invalid-transition")


def test_without_a_valuation_the_reserve_price_must_be_given(scene, client):
    scene.default()
    response = client.post(
        f"{API}/pledges/{scene.pledge['id']}/disposals",
        json={"method": "auction", "costs": "0.00"},
        headers=scene.clerk,
    )
    assert _code(response) == (422, "validation-failed")
    assert "reserve_price" in response.get_json()["errors"]


def test_only_the_pledges_active_assets_can_be_offered(scene, registry, client):
    scene.default()
    elsewhere = registry.asset([scene.owner])["id"]
    response = client.post(
        f"{API}/pledges/{scene.pledge['id']}/disposals",
        json={"method": "auction", "asset_ids": [elsewhere], "reserve_price": "1.00", "costs": "0"},
        headers=scene.clerk,
    )
    assert _code(response) == (422, "validation-failed")


@pytest.mark.parametrize(
    ("amount", "code"),
    [("799999.99", "bid-below-reserve"), ("900000.00", "bid-not-highest")],
)
def test_auction_bids_below_reserve_or_not_above_the_best_are_refused(
    scene, open_disposal, amount, code
):
    scene.bid(open_disposal, scene.buyers[0], "900000.00")
    refused = scene.bid(open_disposal, scene.buyers[1], amount, status=409)
    assert (refused["code"], refused["reserve_price"], refused["best_bid"]) == (
        code,
        "800000.00",
        "900000.00",
    )


def test_the_pledgor_and_the_pledgee_may_not_bid(scene, open_disposal):
    for party in (scene.owner, scene.bank):
        refused = scene.bid(open_disposal, party, "900000.00", status=409)
        assert refused["code"] == "bidder-not-eligible"


def test_an_unknown_bidder_or_a_float_amount_is_invalid(scene, open_disposal):
    assert scene.bid(open_disposal, 999999, "900000.00", status=422)["errors"]["bidder_id"]
    assert scene.bid(open_disposal, scene.buyers[0], 900000.0, status=422)["errors"]["amount"]


def test_bids_after_the_close_are_refused(scene, open_disposal):
    scene.bid(open_disposal, scene.buyers[0], "900000.00")
    scene.close(open_disposal)
    assert scene.bid(open_disposal, scene.buyers[1], "2000000.00", status=409)["code"] == (
        "disposal-closed"
    )


def test_bids_before_the_announcement_period_ends_are_refused(scene):
    scene.default()
    disposal = scene.open(announcement_days=7)
    assert disposal["bids_open_at"] > disposal["opened_at"]
    assert scene.bid(disposal, scene.buyers[0], "900000.00", status=409)["code"] == (
        "bidding-not-open"
    )
    assert scene.post(f"/disposals/{disposal['id']}/close", status=409)["code"] == (
        "bidding-not-open"
    )


def test_bids_with_the_same_idempotency_key_are_recorded_once(scene, open_disposal, client):
    path = f"{API}/disposals/{open_disposal['id']}/bids"
    body = {"bidder_id": scene.buyers[0], "amount": "900000.00"}
    headers = {**scene.clerk, "Idempotency-Key": "bid-1"}
    first = client.post(path, json=body, headers=headers)
    again = client.post(path, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert len(client.get(path, headers=scene.clerk).get_json()["items"]) == 1


def test_unknown_disposals_are_404(scene, client):
    for path in ("/disposals/999/close", "/disposals/999/bids"):
        body = {"bidder_id": scene.buyers[0], "amount": "1.00"}
        assert _code(client.post(API + path, json=body, headers=scene.clerk))[0] == 404
    assert client.get(f"{API}/disposals/999/statement", headers=scene.clerk).status_code == 404


def test_the_pledgor_asks_for_timely_disposal_once_the_debt_is_due(scene, client, keys):
    path = f"{API}/pledges/{scene.pledge['id']}/disposal-requests"
    early = client.post(path, json={"note": "请及时处置"}, headers=scene.owner_key)
    assert _code(early) == (409, "debt-not-due")
    assert _code(client.post(path, json={}, headers=scene.bank_key)) == (403, "forbidden")
    scene.default()
    made = client.post(path, json={"note": "请及时处置"}, headers=scene.owner_key)
    assert made.status_code == 201
    assert made.get_json()["party_id"] == scene.owner
    history = scene.get(f"/pledges/{scene.pledge['id']}/history", scene.owner_key)["items"]
    assert history[-1]["type"] == "pledge.disposal_requested"
