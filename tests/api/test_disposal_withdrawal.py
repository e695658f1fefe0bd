"""Withdrawing an open disposal: the debt paid, a court's stay or the parties' agreement."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.api.test_disposal_flow import Scene
from tests.registry_helpers import assert_problem, audit, row_counts


@pytest.fixture
def scene(client, registry, keys):
    return Scene(client, registry, keys)


def _withdraw(scene, disposal, reason="debt_paid", status=200, headers=None):
    body = {"reason": reason, "note": "债务人已全额清偿"}
    return scene.post(f"/disposals/{disposal['id']}/withdraw", body, headers, status)


def test_the_debt_paid_withdraws_the_disposal_and_ends_the_pledge(scene, app):
    scene.default()
    disposal = scene.open()
    scene.bid(disposal, scene.buyers[0], "900000.00")
    withdrawn = _withdraw(scene, disposal)
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["withdrawal_reason"] == "debt_paid"
    assert (withdrawn["price"], withdrawn["buyer_id"], withdrawn["winning_bid_id"]) == (
        None,
        None,
        None,
    )
    assert withdrawn["closed_at"] is not None
    pledge = scene.get(f"/pledges/{scene.pledge['id']}")
    assert (pledge["status"], pledge["closing_reason"]) == ("cancelled", "repaid")
    # Paid means paid: no disposal can be opened against it, and the asset is free again.
    reopen = scene.client.post(
        f"/api/v1/pledges/{scene.pledge['id']}/disposals",
        json={"method": "auction", "reserve_price": "1.00", "costs": "0.00"},
        headers=scene.clerk,
    )
    assert_problem(reopen, 409, "invalid-transition")
    public = scene.client.get(f"/api/v1/public/encumbrances?number={scene.assets[0]['number']}")
    assert [i["status"] for i in public.get_json()["items"]] == ["cancelled"]
    # Closed to bids; closing now answers the withdrawn disposal unchanged.
    rejected = scene.client.post(
        f"/api/v1/disposals/{disposal['id']}/bids",
        json={"bidder_id": scene.buyers[1], "amount": "950000.00"},
        headers=scene.clerk,
    )
    assert_problem(rejected, 409, "disposal-closed")
    assert scene.close(disposal) == withdrawn
    types = [e["type"] for e in scene.get(f"/pledges/{scene.pledge['id']}/history")["items"]]
    assert types[-2:] == ["disposal.withdrawn", "pledge.cancelled"]
    # Every record, the withdrawn disposal included, matches the state the log holds for it.
    report = audit(app)
    assert report.ok, report.problems


def test_a_stay_returns_the_pledge_to_default_with_the_costs_still_owed(scene):
    scene.default()
    disposal = scene.open()
    withdrawn = _withdraw(scene, disposal, reason="court_order")
    assert withdrawn["withdrawal_reason"] == "court_order"
    assert scene.get(f"/pledges/{scene.pledge['id']}")["status"] == "defaulted"
    default = scene.get(f"/pledges/{scene.pledge['id']}/default", scene.bank_key)
    assert Decimal(default["outstanding"]["costs"]) == Decimal("20000.00")


def test_after_a_court_stay_is_lifted_a_new_disposal_can_sell_the_same_assets(scene):
    scene.default()
    first = scene.open()
    _withdraw(scene, first, reason="court_order")
    second = scene.open(costs="5000.00")
    scene.bid(second, scene.buyers[0], "1100000.00")
    sold = scene.close(second)
    assert sold["status"] == "sold"
    lines = scene.get(f"/disposals/{second['id']}/statement")["lines"]
    assert lines[0] == {"kind": "costs", "payee_id": scene.bank, "amount": "25000.00"}
    scene.get(f"/disposals/{first['id']}/statement", status=409)
    listed = scene.get("/disposals?status=withdrawn")["items"]
    assert [d["id"] for d in listed] == [first["id"]]


def test_withdrawing_again_is_harmless_and_a_closed_disposal_cannot_be_withdrawn(scene, app):
    scene.default()
    disposal = scene.open()
    first = _withdraw(scene, disposal, reason="parties_agreement")
    before = row_counts(app)
    assert _withdraw(scene, disposal, reason="parties_agreement") == first
    assert row_counts(app) == before
    other = scene.client.post(
        f"/api/v1/disposals/{disposal['id']}/withdraw",
        json={"reason": "court_order"},
        headers=scene.clerk,
    )
    assert "parties_agreement" in assert_problem(other, 409, "invalid-transition")["detail"]
    assert row_counts(app) == before
    second = scene.open()
    scene.bid(second, scene.buyers[0], "900000.00")
    scene.close(second)
    before = row_counts(app)
    response = scene.client.post(
        f"/api/v1/disposals/{second['id']}/withdraw",
        json={"reason": "debt_paid"},
        headers=scene.clerk,
    )
    assert_problem(response, 409, "invalid-transition")
    assert row_counts(app) == before


def test_only_a_clerk_withdraws_and_the_reason_must_be_known(scene, app):
    scene.default()
    disposal = scene.open()
    before = row_counts(app)
    path = f"/api/v1/disposals/{disposal['id']}/withdraw"
    for headers in (scene.bank_key, scene.owner_key):
        response = scene.client.post(path, json={"reason": "debt_paid"}, headers=headers)
        assert_problem(response, 403, "forbidden")
    bad = scene.client.post(path, json={"reason": "changed_mind"}, headers=scene.clerk)
    assert "reason" in assert_problem(bad, 422, "validation-failed")["errors"]
    missing = scene.client.post(
        "/api/v1/disposals/999999/withdraw", json={"reason": "debt_paid"}, headers=scene.clerk
    )
    assert_problem(missing, 404, "not-found")
    assert row_counts(app) == before


def test_the_note_is_sealed_out_of_the_public_log(scene, client, app):
    import json

    from sqlalchemy import select

    from ipx.db_ext import database
    from ipx.ledger.tables import LedgerEntry

    scene.default()
    disposal = scene.open()
    _withdraw(scene, disposal)
    with database(app).sessions() as session:
        seq = session.execute(
            select(LedgerEntry.seq).where(LedgerEntry.type == "disposal.withdrawn")
        ).scalar_one()
    public = client.get(f"/api/v1/ledger/entries/{seq}").get_json()
    leaf = json.loads(public["leaf"])
    # A withdrawal is no public notice: anyone sees only digests, a clerk the event in clear.
    assert "type" not in leaf and "refs" not in leaf and "data" not in leaf
    assert "债务人" not in public["leaf"] and "details" in leaf["digests"]
    event = client.get(f"/api/v1/ledger/entries/{seq}", headers=scene.clerk).get_json()["event"]
    assert event["data"] == {"status": "withdrawn", "reason": "debt_paid"}
    assert event["refs"]["disposal"] == disposal["id"]
    assert "债务人" not in json.dumps(event["data"], ensure_ascii=False)
    history = scene.get(f"/pledges/{scene.pledge['id']}/history", scene.bank_key)["items"]
    (withdrawal,) = [e for e in history if e["type"] == "disposal.withdrawn"]
    assert withdrawal["changes"]["note"] == "债务人已全额清偿"  # the pledgee sees it
