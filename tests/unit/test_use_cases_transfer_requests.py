"""Transfer requests awaiting the pledgee's consent, run on the fakes through the real runner.

A request records the ask; the pledgee's consent completes it through ``record_transfer``
(holders, proceeds, the same events), its refusal or the requester's withdrawal closes it.
Who may do what is the runner's role check plus the visibility policy.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ipx.auth import Principal, Role
from ipx.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from ipx.registry import commands as c
from tests.unit.test_use_cases_disposal import Scene, _invention

D = Decimal


@pytest.fixture
def scene() -> Scene:
    return Scene()


def _ask(scene: Scene, principal: Principal | None = None, **given) -> dict:
    values = {
        "asset_id": scene.asset_ids[0],
        "kind": "assignment",
        "to_party_ids": [scene.buyers[0]],
    }
    return scene.run(c.RequestTransfer(**(values | given)), principal or scene.owner_key)


def _stranger(role: Role, party_id: int) -> Principal:
    return Principal(key_id=f"{role}-{party_id}", role=role, party_id=party_id)


def test_an_owner_asks_and_the_request_awaits_the_pledgees_consent(scene):
    request = _ask(scene, to_party_ids=[scene.buyers[0], scene.buyers[0]])
    assert (request["status"], request["pledge_id"], request["kind"]) == (
        "awaiting_consent",
        scene.pledge.id,
        "assignment",
    )
    assert request["to_party_ids"] == [scene.buyers[0]]
    assert request["from_party_ids"] == [scene.owner.id]
    assert (request["requested_by"], request["requested_by_party_id"]) == ("owner", scene.owner.id)
    assert scene.assets[0].holder_ids == [scene.owner.id], "nothing moves yet"
    assert not scene.repos.transfers.rows
    event = scene.uow.committed[-1]
    assert event.type == "transfer.requested"
    assert event.refs["pledge"] == scene.pledge.id and event.refs["asset"] == scene.asset_ids[0]
    assert scene.bank.id in event.refs["parties"]
    assert event.data == {"status": "awaiting_consent", "kind": "assignment"}
    assert f"state:transfer_request:{request['id']}" in event.digests


def test_a_clerk_asks_on_the_holders_behalf(scene):
    request = scene.run(c.RequestTransfer(scene.asset_ids[0], "licence", [scene.buyers[1]]))
    assert (request["requested_by"], request["requested_by_party_id"]) == ("clerk", None)


def test_only_a_pledged_assets_transfer_waits_for_consent(scene):
    free = scene.run(c.CreateAsset(**vars(_invention(scene.owner.id, 616161)))).id
    with pytest.raises(Conflict) as refused:
        _ask(scene, asset_id=free)
    assert refused.value.code == "not-pledged"
    assert not scene.repos.transfer_requests.rows


def test_a_frozen_asset_or_one_in_disposal_is_not_requested(scene):
    freeze = scene.run(
        c.FreezeAsset(scene.asset_ids[0], "上海市第一中级人民法院", "(2026)沪01执1号")
    )
    with pytest.raises(Conflict) as frozen:
        _ask(scene)
    assert frozen.value.code == "asset-frozen"
    scene.run(c.LiftFreeze(freeze.id))
    scene.declare()
    scene.open()
    with pytest.raises(Conflict) as in_disposal:
        _ask(scene)
    assert in_disposal.value.code == "pledge-in-disposal"
    assert not scene.repos.transfer_requests.rows


def test_one_request_per_asset_awaits_consent(scene):
    first = _ask(scene)
    with pytest.raises(Conflict) as second:
        _ask(scene, kind="licence")
    assert second.value.code == "transfer-request-pending"
    assert second.value.extra["transfer_request_id"] == first["id"]
    scene.run(c.WithdrawTransferRequest(first["id"]), scene.owner_key)
    assert _ask(scene)["status"] == "awaiting_consent"  # once answered, a new one may be made


def test_an_owner_asks_only_for_an_asset_it_holds_and_banks_do_not_ask(scene):
    with pytest.raises(NotFound):
        _ask(scene, principal=_stranger(Role.OWNER, scene.buyers[0]))
    with pytest.raises(Forbidden):
        _ask(scene, principal=scene.bank_key)
    with pytest.raises(ValidationFailed):
        _ask(scene, to_party_ids=[999])
    assert not scene.repos.transfer_requests.rows


def test_the_pledgees_consent_completes_the_transfer_as_record_transfer_does(scene):
    request = _ask(scene)
    since = len(scene.uow.committed)
    done = scene.run(
        c.ConsentToTransfer(request["id"], "early_repayment", D("1500000.00")), scene.bank_key
    )
    assert (done["status"], done["decided_by"], done["proceeds"]) == (
        "completed",
        "bank",
        "early_repayment",
    )
    transfer = done["transfer"]
    assert done["transfer_id"] == transfer["id"] and transfer["pledgee_consent"] is True
    assert (transfer["from_party_ids"], transfer["to_party_ids"]) == (
        [scene.owner.id],
        [scene.buyers[0]],
    )
    assert transfer["debt_after"] == D("3500000.00")
    assert scene.assets[0].holder_ids == [scene.buyers[0]]
    assert scene.types(since) == [
        "asset.assignment",
        "pledge.proceeds_early_repayment",
        "transfer.consented",
    ]
    consented = scene.uow.committed[-1]
    assert consented.refs["transfer"] == transfer["id"]
    assert "proceeds" not in consented.data and consented.private["proceeds"] == "early_repayment"


def test_only_the_pledgee_or_a_clerk_answers(scene):
    request = _ask(scene)
    other_bank = _stranger(Role.BANK, scene.buyers[1])
    with pytest.raises(NotFound):
        scene.run(c.ConsentToTransfer(request["id"], "escrow"), other_bank)
    with pytest.raises(NotFound):
        scene.run(c.DeclineTransfer(request["id"], "不同意"), other_bank)
    with pytest.raises(Forbidden):  # the owner may not consent for the bank
        scene.run(c.ConsentToTransfer(request["id"], "escrow"), scene.owner_key)
    assert scene.repos.transfer_requests.get(request["id"]).status == "awaiting_consent"
    done = scene.run(c.ConsentToTransfer(request["id"], "escrow"))  # a clerk, written consent
    assert (done["status"], done["decided_by"]) == ("completed", "clerk")


def test_the_pledgee_declines_with_a_reason_sealed_in_the_log(scene):
    request = _ask(scene)
    declined = scene.run(c.DeclineTransfer(request["id"], "受让方资信不足"), scene.bank_key)
    assert (declined["status"], declined["reason"]) == ("declined", "受让方资信不足")
    event = scene.uow.committed[-1]
    assert event.type == "transfer.declined"
    assert "受让方资信不足" not in str(event.data) and event.private["note"] == "受让方资信不足"
    assert scene.assets[0].holder_ids == [scene.owner.id] and not scene.repos.transfers.rows


def test_only_the_owner_who_asked_or_a_clerk_withdraws(scene):
    request = scene.run(c.RequestTransfer(scene.asset_ids[0], "licence", [scene.buyers[0]]))
    with pytest.raises(Forbidden):  # the holder sees it, but a clerk made it
        scene.run(c.WithdrawTransferRequest(request["id"]), scene.owner_key)
    with pytest.raises(NotFound):
        scene.run(c.WithdrawTransferRequest(request["id"]), _stranger(Role.OWNER, scene.buyers[1]))
    with pytest.raises(Forbidden):
        scene.run(c.WithdrawTransferRequest(request["id"]), scene.bank_key)
    withdrawn = scene.run(c.WithdrawTransferRequest(request["id"], "合同取消"))
    assert withdrawn["status"] == "withdrawn"
    assert scene.types()[-1] == "transfer.withdrawn"


def test_an_answered_request_takes_no_other_answer(scene):
    request = _ask(scene)
    scene.run(c.DeclineTransfer(request["id"], "不同意"), scene.bank_key)
    for command, who in [
        (c.ConsentToTransfer(request["id"], "escrow"), scene.bank_key),
        (c.DeclineTransfer(request["id"], "again"), scene.bank_key),
        (c.WithdrawTransferRequest(request["id"]), scene.owner_key),
    ]:
        with pytest.raises(InvalidTransition):
            scene.run(command, who)
    assert scene.repos.transfer_requests.get(request["id"]).status == "declined"


def test_consent_after_the_pledge_ended_is_refused(scene):
    request = _ask(scene)
    scene.run(c.CancelPledge(scene.pledge.id, "repaid"))
    with pytest.raises(Conflict) as ended:
        scene.run(c.ConsentToTransfer(request["id"], "escrow"), scene.bank_key)
    assert ended.value.code == "pledge-ended"
    assert scene.assets[0].holder_ids == [scene.owner.id]


def test_answering_locks_the_pledge_before_the_request(scene):
    request = _ask(scene)
    scene.repos.locks.clear()
    scene.run(c.ConsentToTransfer(request["id"], "escrow"), scene.bank_key)
    locks = scene.repos.locks
    assert locks.index(("pledge", scene.pledge.id)) < locks.index(
        ("transfer_request", request["id"])
    )
    assert locks.index(("transfer_request", request["id"])) < locks.index(
        ("asset", scene.asset_ids[0])
    )


def test_each_step_is_announced_with_ids_and_public_facts_only(scene):
    from ipx.notify.events import EVENT_TYPES, notification_of

    request = _ask(scene)
    scene.run(c.DeclineTransfer(request["id"], "受让方资信不足"), scene.bank_key)
    requested, declined = scene.uow.committed[-2:]
    for event in (requested, declined):
        note = notification_of(event.type, event.refs, event.data)
        assert note is not None and note.type == event.type and note.type in EVENT_TYPES
        assert (note.pledge_id, note.asset_ids) == (scene.pledge.id, (scene.asset_ids[0],))
        assert note.data["transfer_request_id"] == request["id"]
        assert "note" not in note.data and "受让方资信不足" not in str(note.data)
    assert {"transfer.consented", "transfer.withdrawn"} <= set(EVENT_TYPES)
