"""Assignments and licences, and Civil Code Art. 444 for pledged assets, run on the fakes.

A pledged right moves only with the pledgee's recorded consent and says where the proceeds
go; an amount of proceeds repays the debt early (in the legal order after default) or is held
in escrow; a frozen asset, or one whose pledge is in disposal, does not move privately.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ipx.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ipx.registry import commands as c
from tests.unit.test_use_cases_disposal import Scene, _invention

D = Decimal


@pytest.fixture
def scene() -> Scene:
    return Scene()


def _transfer(scene: Scene, **given) -> dict:
    values = {
        "asset_id": scene.asset_ids[0],
        "kind": "licence",
        "to_party_ids": [scene.buyers[0]],
        "pledgee_consent": True,
        "proceeds": "early_repayment",
    }
    return scene.run(c.RecordTransfer(**(values | given)))


def _free_asset(scene: Scene) -> int:
    """An asset of the owner that no pledge encumbers."""
    return scene.run(c.CreateAsset(**vars(_invention(scene.owner.id, 515151)))).id


def test_an_unpledged_asset_is_assigned_to_its_new_holders(scene):
    asset_id = _free_asset(scene)
    buyer, other = scene.buyers
    answer = _transfer(
        scene,
        asset_id=asset_id,
        kind="assignment",
        to_party_ids=[buyer, other, buyer],  # once each
        pledgee_consent=False,
        proceeds=None,
    )
    assert (answer["from_party_ids"], answer["to_party_ids"]) == ([scene.owner.id], [buyer, other])
    assert (answer["pledge_id"], answer["pledge_status"], answer["proceeds_amount"]) == (
        None,
        None,
        None,
    )
    assert scene.repos.assets.get(asset_id).holder_ids == [buyer, other]
    event = scene.uow.committed[-1]
    assert event.type == "asset.assignment" and "pledge" not in event.refs


def test_a_licence_leaves_the_holders_as_they_are(scene):
    asset_id = _free_asset(scene)
    answer = _transfer(scene, asset_id=asset_id, pledgee_consent=False, proceeds=None)
    assert answer["kind"] == "licence"
    assert scene.repos.assets.get(asset_id).holder_ids == [scene.owner.id]
    assert scene.types()[-1] == "asset.licence"


def test_a_pledged_asset_needs_the_pledgees_recorded_consent(scene):
    commits = scene.uow.commits
    with pytest.raises(Conflict) as refused:
        _transfer(scene, kind="assignment", pledgee_consent=False)
    assert refused.value.code == "pledgee-consent-required"
    assert refused.value.extra["pledge_id"] == scene.pledge.id
    assert scene.uow.commits == commits and not scene.repos.transfers.rows
    assert scene.assets[0].holder_ids == [scene.owner.id]


def test_a_consented_transfer_says_where_the_proceeds_go(scene):
    with pytest.raises(ValidationFailed) as missing:
        _transfer(scene, proceeds=None)
    assert "proceeds" in missing.value.extra["errors"]
    answer = _transfer(scene)  # no amount: only the destination is recorded
    assert (answer["pledge_id"], answer["proceeds"], answer["proceeds_amount"]) == (
        scene.pledge.id,
        "early_repayment",
        None,
    )
    assert answer["pledge_status"] == "registered" and answer["pledgee_consent"] is True
    assert not scene.repos.transfers.proceeds.rows


def test_only_a_pledged_assets_transfer_has_proceeds_and_an_amount_needs_them(scene):
    asset_id = _free_asset(scene)
    with pytest.raises(ValidationFailed) as stray:
        _transfer(scene, asset_id=asset_id, pledgee_consent=False)
    assert "proceeds" in stray.value.extra["errors"]
    with pytest.raises(ValidationFailed) as amount:
        _transfer(
            scene, asset_id=asset_id, pledgee_consent=False, proceeds=None, proceeds_amount=D(1)
        )
    assert "proceeds_amount" in amount.value.extra["errors"]


def test_early_repayment_below_the_debt_reduces_the_secured_amount(scene):
    answer = _transfer(scene, proceeds_amount=D("1500000.00"))
    assert (answer["debt_after"], answer["pledge_status"]) == (D("3500000.00"), "registered")
    assert scene.pledge.secured_amount == D("3500000.00")
    event = scene.uow.committed[-1]
    assert event.type == "pledge.proceeds_early_repayment"
    assert "amount" not in event.data and event.private["debt_after"] == "3500000.00"


def test_early_repayment_covering_the_debt_cancels_the_pledge_as_repaid(scene):
    answer = _transfer(scene, kind="assignment", proceeds_amount=D("5000000.00"))
    assert (answer["debt_after"], answer["pledge_status"]) == (D("0.00"), "cancelled")
    assert scene.pledge.closing_reason == "repaid"
    assert scene.repos.pledges.encumbering(scene.asset_ids[0]) is None
    assert scene.assets[0].holder_ids == [scene.buyers[0]]
    assert scene.pledge.secured_amount == D("5000000.00"), "the registered amount is kept"


def test_escrow_records_the_amount_held_and_leaves_the_debt(scene):
    answer = _transfer(scene, proceeds="escrow", proceeds_amount=D("200000.00"))
    assert (answer["proceeds_amount"], answer["debt_after"]) == (D("200000.00"), D("5000000.00"))
    assert scene.pledge.secured_amount == D("5000000.00")
    (record,) = scene.repos.transfers.proceeds.rows.values()
    assert (record.destination, record.debt_before) == ("escrow", D("5000000.00"))


def test_after_default_early_repayment_reduces_the_debt_due_in_the_legal_order(scene):
    scene.declare(principal="1000000.00", interest="50000.00", penalties="10000.00")
    answer = _transfer(scene, proceeds_amount=D("100000.00"))
    assert answer["debt_after"] == D("960000.00")
    default = scene.repos.defaults.of_pledge(scene.pledge.id)
    assert (default.interest_penalties_due, default.principal_due) == (D("0.00"), D("960000.00"))
    assert scene.pledge.secured_amount == D("5000000.00")  # the debt due changed, not this
    _transfer(scene, proceeds_amount=D("960000.00"))
    assert (scene.pledge.status, scene.pledge.closing_reason) == ("cancelled", "repaid")


def test_an_asset_in_disposal_is_sold_on_the_exchange_not_transferred(scene):
    scene.declare()
    scene.open()
    with pytest.raises(Conflict) as refused:
        _transfer(scene)
    assert refused.value.code == "pledge-in-disposal"


def test_a_frozen_asset_does_not_move_even_with_consent(scene):
    scene.run(c.FreezeAsset(scene.asset_ids[0], "上海知识产权法院", "(2026)沪73财保1号"))
    with pytest.raises(Conflict) as frozen:
        _transfer(scene)
    assert frozen.value.code == "asset-frozen"


def test_the_receiving_parties_must_exist_and_the_asset_too(scene):
    with pytest.raises(ValidationFailed) as nobody:
        _transfer(scene, to_party_ids=[])
    assert "to_party_ids" in nobody.value.extra["errors"]
    with pytest.raises(ValidationFailed) as unknown:
        _transfer(scene, to_party_ids=[scene.buyers[0], 999])
    assert "999" in unknown.value.extra["errors"]["to_party_ids"][0]
    with pytest.raises(NotFound):
        _transfer(scene, asset_id=999)
    assert not scene.repos.transfers.rows


def test_a_transfer_locks_the_pledge_and_its_default_before_the_asset(scene):
    scene.declare()
    del scene.repos.locks[:]
    _transfer(scene, proceeds_amount=D("1000.00"))
    assert [kind for kind, _ in scene.repos.locks][:3] == ["pledge", "default", "asset"]


def test_only_clerks_record_transfers(scene):
    with pytest.raises(Forbidden):
        scene.run(
            c.RecordTransfer(scene.asset_ids[0], "licence", [scene.buyers[0]], True, "escrow"),
            scene.owner_key,
        )
    assert not scene.repos.transfers.rows
