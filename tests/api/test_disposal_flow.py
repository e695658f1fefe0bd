"""Disposal on default over HTTP: full scenarios from registration to cancellation."""

from __future__ import annotations

from decimal import Decimal

import pytest

API = "/api/v1"


class Scene:
    """A pledge between an owner and a bank over some assets, with keys and a few bidders."""

    def __init__(self, client, registry, keys, n_assets: int = 1):
        self.client, self.registry = client, registry
        self.owner = registry.party("华东材料科技股份有限公司")
        self.bank = registry.party("中国工商银行股份有限公司上海分行")
        self.buyers = [registry.party(f"买方{i}有限公司") for i in range(2)]
        self.assets = [registry.asset([self.owner]) for _ in range(n_assets)]
        self.asset_ids = [a["id"] for a in self.assets]
        self.pledge = registry.pledge(self.owner, self.bank, self.asset_ids)
        self.bank_key = keys.header("bank", self.bank)
        self.owner_key = keys.header("owner", self.owner)
        self.clerk = registry.clerk

    def post(self, path, body=None, headers=None, status=None):
        response = self.client.post(f"{API}{path}", json=body or {}, headers=headers or self.clerk)
        if status is not None:
            assert response.status_code == status, response.get_json()
        return response.get_json()

    def get(self, path, headers=None, status=200):
        response = self.client.get(f"{API}{path}", headers=headers or self.clerk)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def default(self, principal="1000000.00", interest="50000.00", penalties="10000.00"):
        body = {"principal": principal, "interest": interest, "penalties": penalties}
        return self.post(f"/pledges/{self.pledge['id']}/default", body, self.bank_key, 200)

    def open(self, **body):
        body = {"method": "auction", "reserve_price": "800000.00", "costs": "20000.00"} | body
        body.setdefault("announcement_days", 0)
        return self.post(f"/pledges/{self.pledge['id']}/disposals", body, status=201)

    def bid(self, disposal, bidder, amount, status=201):
        return self.post(
            f"/disposals/{disposal['id']}/bids",
            {"bidder_id": bidder, "amount": amount},
            None,
            status,
        )

    def close(self, disposal):
        return self.post(f"/disposals/{disposal['id']}/close", status=200)


@pytest.fixture
def scene(client, registry, keys):
    return Scene(client, registry, keys)


def _total(lines):
    return sum((Decimal(line["amount"]) for line in lines), Decimal("0.00"))


def test_registration_to_cancellation_through_an_auction_with_a_surplus(scene, client):
    assert scene.default()["status"] == "defaulted"
    disposal = scene.open()
    assert (disposal["status"], disposal["reserve_price"]) == ("open", "800000.00")
    assert scene.get(f"/pledges/{scene.pledge['id']}")["status"] == "in_disposal"
    scene.bid(disposal, scene.buyers[0], "900000.00")
    scene.bid(disposal, scene.buyers[1], "1200000.00")

    closed = scene.close(disposal)

    assert (closed["status"], closed["price"], closed["buyer_id"]) == (
        "sold",
        "1200000.00",
        scene.buyers[1],
    )
    statement = scene.get(f"/disposals/{disposal['id']}/statement", scene.bank_key)
    assert [(x["kind"], x["payee_id"], x["amount"]) for x in statement["lines"]] == [
        ("costs", scene.bank, "20000.00"),
        ("interest_penalties", scene.bank, "60000.00"),
        ("principal", scene.bank, "1000000.00"),
        ("surplus", scene.owner, "120000.00"),
    ]
    assert _total(statement["lines"]) == Decimal(statement["price"])
    assert statement["shortfall"] == "0.00"
    asset = scene.get(f"/assets/{scene.asset_ids[0]}")
    assert asset["holder_ids"] == [scene.buyers[1]]
    pledge = scene.get(f"/pledges/{scene.pledge['id']}")
    assert (pledge["status"], pledge["closing_reason"]) == ("cancelled", "realized")
    history = [e["type"] for e in scene.get(f"/pledges/{scene.pledge['id']}/history")["items"]]
    assert history[-3:] == ["asset.assignment", "pledge.realized", "pledge.cancelled"]
    assert "disposal.sold" in history
    public = client.get(f"{API}/public/encumbrances?number={scene.assets[0]['number']}")
    assert public.get_json()["items"][0]["status"] == "cancelled"
    transactions = scene.get("/transactions")["items"]
    assert [(t["asset_id"], t["price"], t["method"], t["lot_size"]) for t in transactions] == [
        (scene.asset_ids[0], "1200000.00", "auction", 1)
    ]
    assert transactions[0]["features"]["claims"] == 10


def test_a_price_below_the_debt_leaves_a_shortfall_as_an_unsecured_claim(scene):
    scene.default()
    disposal = scene.open(reserve_price="500000.00")
    scene.bid(disposal, scene.buyers[0], "700000.00")
    scene.close(disposal)
    statement = scene.get(f"/disposals/{disposal['id']}/statement", scene.owner_key)
    assert [(x["kind"], x["amount"]) for x in statement["lines"]] == [
        ("costs", "20000.00"),
        ("interest_penalties", "60000.00"),
        ("principal", "620000.00"),
    ]
    assert statement["shortfall"] == "380000.00"
    assert _total(statement["lines"]) == Decimal("700000.00")
    assert scene.get(f"/pledges/{scene.pledge['id']}")["status"] == "cancelled"


def test_a_failed_auction_returns_the_pledge_to_default_and_a_second_disposal_sells(scene):
    scene.default()
    first = scene.open(reserve_price="2000000.00")
    failed = scene.close(first)
    assert (failed["status"], failed["price"], failed["buyer_id"]) == ("failed", None, None)
    assert scene.get(f"/pledges/{scene.pledge['id']}")["status"] == "defaulted"
    scene.get(f"/disposals/{first['id']}/statement", status=409)

    second = scene.open(reserve_price="1000000.00", costs="5000.00", method="listing")
    scene.bid(second, scene.buyers[0], "1000000.00")
    scene.bid(second, scene.buyers[1], "1000000.00")  # a listing takes equal bids; first wins
    closed = scene.close(second)
    assert closed["buyer_id"] == scene.buyers[0]
    lines = scene.get(f"/disposals/{second['id']}/statement")["lines"]
    # the failed auction's costs stay secured and are paid first, with the second one's
    assert lines[0] == {"kind": "costs", "payee_id": scene.bank, "amount": "25000.00"}
    assert _total(lines) == Decimal("1000000.00")


def test_a_partial_sale_applies_the_proceeds_and_leaves_the_pledge_on_the_rest(
    client, registry, keys
):
    scene = Scene(client, registry, keys, n_assets=2)
    scene.default(principal="1000000.00", interest="0.00", penalties="0.00")
    sold, kept = scene.asset_ids
    disposal = scene.open(asset_ids=[sold], reserve_price="100000.00", costs="10000.00")
    scene.bid(disposal, scene.buyers[0], "410000.00")
    closed = scene.close(disposal)
    assert closed["final"] is False
    statement = scene.get(f"/disposals/{disposal['id']}/statement")
    assert [(x["kind"], x["amount"]) for x in statement["lines"]] == [
        ("costs", "10000.00"),
        ("principal", "400000.00"),
    ]
    assert statement["shortfall"] == "0.00"
    pledge = scene.get(f"/pledges/{scene.pledge['id']}")
    assert pledge["status"] == "defaulted"
    default = scene.get(f"/pledges/{scene.pledge['id']}/default", scene.bank_key)
    assert default["outstanding"]["total"] == "600000.00"
    public = client.get(f"{API}/public/encumbrances?number={scene.assets[1]['number']}")
    assert public.get_json()["items"][0]["status"] == "defaulted"

    rest = scene.open(reserve_price="100000.00", costs="0.00")
    assert rest["asset_ids"] == [kept]
    scene.bid(rest, scene.buyers[1], "650000.00")
    scene.close(rest)
    lines = scene.get(f"/disposals/{rest['id']}/statement")["lines"]
    assert [(x["kind"], x["amount"]) for x in lines] == [
        ("principal", "600000.00"),
        ("surplus", "50000.00"),
    ]
    pledge = scene.get(f"/pledges/{scene.pledge['id']}")
    assert (pledge["status"], pledge["closing_reason"]) == ("cancelled", "realized")
    holders = [scene.get(f"/assets/{a}")["holder_ids"] for a in scene.asset_ids]
    assert holders == [[scene.buyers[0]], [scene.buyers[1]]]


def test_a_partial_sale_that_settles_the_debt_cancels_the_pledge_and_frees_the_rest(
    client, registry, keys
):
    scene = Scene(client, registry, keys, n_assets=2)
    scene.default(principal="100000.00", interest="0.00", penalties="0.00")
    disposal = scene.open(asset_ids=[scene.asset_ids[0]], reserve_price="1.00", costs="0.00")
    scene.bid(disposal, scene.buyers[0], "130000.00")
    assert scene.close(disposal)["final"] is True
    pledge = scene.get(f"/pledges/{scene.pledge['id']}")
    assert (pledge["status"], pledge["closing_reason"]) == ("cancelled", "realized")
    # the unsold asset is free again: its owner may pledge it anew
    assert scene.get(f"/assets/{scene.asset_ids[1]}")["holder_ids"] == [scene.owner]
    registry.pledge(scene.owner, scene.bank, [scene.asset_ids[1]])


def test_close_is_idempotent(scene):
    scene.default()
    disposal = scene.open()
    scene.bid(disposal, scene.buyers[0], "900000.00")
    first = scene.close(disposal)
    again = scene.close(disposal)
    assert again == first
    events = scene.get(f"/pledges/{scene.pledge['id']}/history")["items"]
    assert [e["type"] for e in events].count("disposal.sold") == 1


def test_transactions_are_paginated_with_a_cursor(client, registry, keys):
    sold = []
    for _ in range(3):
        scene = Scene(client, registry, keys)
        scene.default()
        disposal = scene.open()
        scene.bid(disposal, scene.buyers[0], "900000.00")
        scene.close(disposal)
        sold.append(scene.asset_ids[0])
    first = scene.get("/transactions?limit=2")
    rest = scene.get(f"/transactions?limit=2&cursor={first['next_cursor']}")
    assert [t["asset_id"] for t in first["items"] + rest["items"]] == sold
    assert rest["next_cursor"] is None
