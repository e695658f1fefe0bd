"""Transfer requests over the API: a pledged asset's transfer asked for, then consented to,
declined or withdrawn; every refusal code, who may do what and see what, a failed request
changing nothing, and the pledgee told by webhook (another bank never)."""

from __future__ import annotations

import pytest

from ipx.notify.worker import Worker
from tests.notify_helpers import Receiver
from tests.registry_helpers import assert_problem, event_types, row_counts, scene

API = "/api/v1"
REQUESTS = f"{API}/transfer-requests"


@pytest.fixture
def pledged(registry, keys):
    s = scene(registry, keys)
    return s, registry.pledge(s.owner, s.bank, [s.asset["id"]])


def _ask(client, s, who="owner", status=201, **given) -> dict:
    body = {"asset_id": s.asset["id"], "kind": "assignment", "to_party_ids": [s.other_owner]}
    response = client.post(REQUESTS, json=body | given, headers=s.headers[who])
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _act(client, s, request_id, action, who, body=None):
    return client.post(f"{REQUESTS}/{request_id}/{action}", json=body or {}, headers=s.headers[who])


def _holders(client, s, asset_id):
    answer = client.get(f"{API}/assets/{asset_id}", headers=s.headers["clerk"]).get_json()
    return answer["holder_ids"]


def test_a_request_awaits_consent_and_the_consent_completes_the_transfer(client, app, pledged):
    s, pledge = pledged
    request = _ask(client, s)
    assert (request["status"], request["pledge_id"], request["transfer_id"]) == (
        "awaiting_consent",
        pledge["id"],
        None,
    )
    assert _holders(client, s, s.asset["id"]) == [s.owner]
    assert event_types(app)[-1] == "transfer.requested"
    consent = {"proceeds": "early_repayment", "proceeds_amount": "1000000.00"}
    response = _act(client, s, request["id"], "consent", "bank", consent)
    assert response.status_code == 200, response.get_json()
    done = response.get_json()
    assert (done["status"], done["decided_by"], done["proceeds"]) == (
        "completed",
        "bank",
        "early_repayment",
    )
    transfer = done["transfer"]
    assert done["transfer_id"] == transfer["id"] and transfer["pledge_id"] == pledge["id"]
    assert transfer["to_party_ids"] == [s.other_owner] and transfer["debt_after"] == "4000000.00"
    assert _holders(client, s, s.asset["id"]) == [s.other_owner]
    assert event_types(app)[-3:] == [
        "asset.assignment",
        "pledge.proceeds_early_repayment",
        "transfer.consented",
    ]
    shown = client.get(f"{REQUESTS}/{request['id']}", headers=s.headers["clerk"]).get_json()
    assert shown["status"] == "completed" and shown["transfer_id"] == transfer["id"]


def test_every_refusal_has_its_code_and_changes_nothing(client, app, pledged, registry):
    s, _ = pledged
    before = row_counts(app)
    free = {"asset_id": s.other_asset["id"]}
    assert_problem(
        client.post(REQUESTS, json=_body(s, **free), headers=s.headers["clerk"]), 409, "not-pledged"
    )
    missing = _body(s, asset_id=999_999)
    assert_problem(client.post(REQUESTS, json=missing, headers=s.headers["clerk"]), 404)
    nobody = _body(s, to_party_ids=[999_999])
    assert_problem(client.post(REQUESTS, json=nobody, headers=s.headers["clerk"]), 422)
    wrong = _body(s, kind="sale")
    assert_problem(client.post(REQUESTS, json=wrong, headers=s.headers["clerk"]), 422)
    assert row_counts(app) == before
    freeze = registry.post(
        f"/assets/{s.asset['id']}/freezes", {"court": "法院", "order_number": "1"}
    )
    frozen = row_counts(app)
    assert_problem(
        client.post(REQUESTS, json=_body(s), headers=s.headers["owner"]), 409, "asset-frozen"
    )
    assert row_counts(app) == frozen
    registry.post(f"/freezes/{freeze['id']}/lift", {}, status=200)
    first = _ask(client, s)
    pending = row_counts(app)
    again = client.post(REQUESTS, json=_body(s, kind="licence"), headers=s.headers["clerk"])
    problem = assert_problem(again, 409, "transfer-request-pending")
    assert problem["transfer_request_id"] == first["id"]
    assert row_counts(app) == pending


def _body(s, **given) -> dict:
    return {
        "asset_id": s.asset["id"],
        "kind": "assignment",
        "to_party_ids": [s.other_owner],
    } | given


def test_a_pledge_in_disposal_takes_no_request(client, app, pledged, registry):
    s, pledge = pledged
    registry.post(
        f"/pledges/{pledge['id']}/default",
        {"principal": "1000000.00", "interest": "0.00", "penalties": "0.00"},
        headers=s.headers["bank"],
        status=200,
    )
    registry.post(
        f"/pledges/{pledge['id']}/disposals",
        {"method": "auction", "costs": "1000.00", "reserve_price": "500000.00"},
    )
    before = row_counts(app)
    refused = client.post(REQUESTS, json=_body(s), headers=s.headers["owner"])
    assert assert_problem(refused, 409, "pledge-in-disposal")["pledge_id"] == pledge["id"]
    assert row_counts(app) == before


def test_declined_and_withdrawn_requests_take_no_other_answer(client, app, pledged):
    s, _ = pledged
    request = _ask(client, s)
    assert_problem(_act(client, s, request["id"], "decline", "bank"), 422)  # a reason is needed
    declined = _act(client, s, request["id"], "decline", "bank", {"reason": "受让方资信不足"})
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    assert declined.get_json()["reason"] == "受让方资信不足"
    before = row_counts(app)
    for action, who, body in [
        ("consent", "bank", {"proceeds": "escrow"}),
        ("decline", "clerk", {"reason": "x"}),
        ("withdraw", "owner", {}),
    ]:
        assert_problem(_act(client, s, request["id"], action, who, body), 409, "invalid-transition")
    assert row_counts(app) == before
    second = _ask(client, s, kind="licence")
    withdrawn = _act(client, s, second["id"], "withdraw", "owner", {"reason": "合同取消"})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert event_types(app)[-1] == "transfer.withdrawn"
    assert _holders(client, s, s.asset["id"]) == [s.owner]


def test_consent_after_the_pledge_ended_is_refused(client, app, pledged, registry):
    s, pledge = pledged
    request = _ask(client, s)
    registry.post(f"/pledges/{pledge['id']}/cancel", {"reason": "repaid"}, status=200)
    before = row_counts(app)
    refused = _act(client, s, request["id"], "consent", "bank", {"proceeds": "escrow"})
    assert_problem(refused, 409, "pledge-ended")
    assert row_counts(app) == before
    assert _act(client, s, request["id"], "withdraw", "owner").status_code == 200


def test_consent_after_another_transfer_changed_the_holders_is_refused(client, app, pledged):
    s, pledge = pledged
    request = _ask(client, s, kind="licence")
    direct = {**_body(s), "pledgee_consent": True, "proceeds": "escrow"}
    moved = client.post(f"{API}/transfers", json=direct, headers=s.headers["clerk"])
    assert moved.status_code == 201, moved.get_json()
    before = row_counts(app)
    refused = _act(client, s, request["id"], "consent", "bank", {"proceeds": "escrow"})
    assert_problem(refused, 409, "holders-changed")
    assert row_counts(app) == before, "the transfer the consent began is rolled back too"
    assert _holders(client, s, s.asset["id"]) == [s.other_owner]


def test_who_may_ask_answer_and_withdraw(client, app, pledged):
    s, _ = pledged
    for who, status in [("bank", 403), ("auditor", 403), ("other_bank", 403), ("none", 401)]:
        assert_problem(client.post(REQUESTS, json=_body(s), headers=s.headers[who]), status)
    # another owner does not hold the asset: as if it did not exist
    assert_problem(client.post(REQUESTS, json=_body(s), headers=s.headers["other_owner"]), 404)
    request = _ask(client, s, who="clerk")
    rid = request["id"]
    consent = {"proceeds": "escrow"}
    before = row_counts(app)
    assert_problem(_act(client, s, rid, "consent", "owner", consent), 403)
    assert_problem(_act(client, s, rid, "consent", "auditor", consent), 403)
    assert_problem(_act(client, s, rid, "consent", "other_bank", consent), 404)
    assert_problem(_act(client, s, rid, "decline", "other_bank", {"reason": "no"}), 404)
    assert_problem(_act(client, s, rid, "decline", "owner", {"reason": "no"}), 403)
    assert_problem(_act(client, s, rid, "withdraw", "bank"), 403)
    assert_problem(_act(client, s, rid, "withdraw", "other_owner"), 404)
    assert_problem(_act(client, s, rid, "withdraw", "owner"), 403)  # a clerk asked, not it
    assert_problem(_act(client, s, 999_999, "consent", "clerk", consent), 404)
    assert row_counts(app) == before
    assert _act(client, s, rid, "withdraw", "clerk").status_code == 200
    again = _ask(client, s, kind="licence")
    assert _act(client, s, again["id"], "consent", "clerk", consent).status_code == 200


def test_who_sees_which_request(client, pledged, registry):
    s, _ = pledged
    mine = _ask(client, s)
    other_pledge = registry.pledge(s.other_owner, s.other_bank, [s.other_asset["id"]])
    theirs = client.post(
        REQUESTS,
        json={"asset_id": s.other_asset["id"], "kind": "licence", "to_party_ids": [s.owner]},
        headers=s.headers["clerk"],
    ).get_json()
    assert theirs["pledge_id"] == other_pledge["id"]

    def listed(who: str, query: str = "") -> list[int]:
        response = client.get(f"{REQUESTS}{query}", headers=s.headers[who])
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    both = [mine["id"], theirs["id"]]
    assert listed("clerk") == both and listed("auditor") == both
    assert listed("bank") == [mine["id"]] and listed("owner") == [mine["id"]]
    assert listed("other_bank") == [theirs["id"]] and listed("other_owner") == [theirs["id"]]
    assert listed("clerk", f"?asset_id={s.other_asset['id']}") == [theirs["id"]]
    assert listed("clerk", "?status=completed") == []
    assert listed("clerk", "?limit=1") == [mine["id"]]
    page = client.get(f"{REQUESTS}?limit=1", headers=s.headers["clerk"]).get_json()
    rest = client.get(
        f"{REQUESTS}?limit=1&cursor={page['next_cursor']}", headers=s.headers["clerk"]
    )
    assert [i["id"] for i in rest.get_json()["items"]] == [theirs["id"]]
    assert_problem(client.get(f"{REQUESTS}?status=open", headers=s.headers["clerk"]), 422)
    for who in ("clerk", "auditor", "bank", "owner"):
        assert client.get(f"{REQUESTS}/{mine['id']}", headers=s.headers[who]).status_code == 200
    for who in ("other_bank", "other_owner"):
        assert_problem(client.get(f"{REQUESTS}/{mine['id']}", headers=s.headers[who]), 404)
    assert_problem(client.get(f"{REQUESTS}/999999", headers=s.headers["clerk"]), 404)
    assert_problem(client.get(REQUESTS, headers=s.headers["none"]), 401)


def test_the_request_is_idempotent_with_a_key(client, app, pledged):
    s, _ = pledged
    headers = {**s.headers["owner"], "Idempotency-Key": "ask-1"}
    first = client.post(REQUESTS, json=_body(s), headers=headers)
    again = client.post(REQUESTS, json=_body(s), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert event_types(app).count("transfer.requested") == 1


def test_a_retried_consent_with_its_key_records_one_transfer(client, app, pledged):
    s, _ = pledged
    request = _ask(client, s)
    headers = {**s.headers["bank"], "Idempotency-Key": "consent-1"}
    path = f"{REQUESTS}/{request['id']}/consent"
    first = client.post(path, json={"proceeds": "escrow"}, headers=headers)
    again = client.post(path, json={"proceeds": "escrow"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.get_json()["transfer_id"] == again.get_json()["transfer_id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert event_types(app).count("asset.assignment") == 1


def test_the_pledgee_is_told_of_the_request_and_another_bank_is_not(client, app, pledged):
    s, pledge = pledged
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    app.config["WEBHOOK_RETRY_SCHEDULE"] = (0, 0, 0)
    ours, theirs = Receiver().start(), Receiver().start()
    try:
        events = ["transfer.requested", "transfer.declined"]
        for who, receiver in (("bank", ours), ("other_bank", theirs)):
            body = {"url": receiver.url, "events": events}
            answer = client.post(f"{API}/subscriptions", json=body, headers=s.headers[who])
            assert answer.status_code == 201, answer.get_json()
        request = _ask(client, s)
        _act(client, s, request["id"], "decline", "bank", {"reason": "受让方资信不足"})
        Worker(app).run_once()
    finally:
        ours.stop()
        theirs.stop()
    assert ours.types() == ["transfer.requested", "transfer.declined"]
    assert theirs.received == []
    data = ours.of_type("transfer.requested")[0].json["data"]
    assert (data["transfer_request_id"], data["pledge_id"]) == (request["id"], pledge["id"])
    assert (data["status"], data["kind"]) == ("awaiting_consent", "assignment")
    declined = ours.of_type("transfer.declined")[0].json["data"]
    assert "受让方资信不足" not in str(declined), "the reason given stays sealed"
