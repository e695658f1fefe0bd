"""Webhook notifications end to end: subscriptions over the API, the outbox written with the
registry's change, the worker delivering to real HTTP receivers on loopback."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from ipx.db_ext import database
from ipx.instance_keys import registry_digest_key
from ipx.notify.delivery import claim, record, send
from ipx.notify.orm import Attempt, Delivery, OutboxEvent, Subscription
from ipx.notify.signing import seal
from ipx.notify.worker import Worker
from ipx.valuation.orm import Valuation
from tests.notify_helpers import Clock, Receiver, free_port
from tests.registry_helpers import assert_problem, row_counts, scene

API = "/api/v1"
ALL_EVENTS = [
    "pledge.registered",
    "pledge.changed",
    "pledge.cancelled",
    "asset.frozen",
    "asset.freeze_lifted",
    "asset.fees_overdue",
    "asset.lapsed",
    "application.refused",
    "application.correction_requested",
]


@pytest.fixture
def notifying(app):
    """The app with loopback receivers allowed and retries a test need not wait for."""
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    app.config["WEBHOOK_RETRY_SCHEDULE"] = (0, 0, 0, 0, 0)
    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 5
    return app


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def subscribe(client, headers, url, events=None, status=201, **more) -> dict:
    body = {"url": url, "events": events or ALL_EVENTS, **more}
    response = client.post(f"{API}/subscriptions", json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def deliveries(client, headers, subscription_id) -> list[dict]:
    response = client.get(f"{API}/subscriptions/{subscription_id}/deliveries", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def verified(secret: str, received) -> dict:
    """The body, once the signature verifies with the reference library."""
    return Webhook(secret).verify(received.body, received.headers)


def test_a_registered_pledge_reaches_its_pledgee_signed(
    client, notifying, registry, keys, receiver
):
    s = scene(registry, keys)
    sub = subscribe(client, s.headers["bank"], receiver.url, ["pledge.registered"])
    assert sub["secret"].startswith("whsec_") and sub["party_id"] == s.bank
    assert sub["status"] == "active"
    shown = client.get(f"{API}/subscriptions/{sub['id']}", headers=s.headers["bank"]).get_json()
    assert "secret" not in shown  # shown once only
    pledge = registry.pledge(s.owner, s.bank, [s.asset["id"]])
    assert Worker(notifying).run_once() == 1
    [got] = receiver.received
    body = verified(sub["secret"], got)
    assert body["type"] == "pledge.registered"
    assert body["data"]["pledge_id"] == pledge["id"]
    assert body["data"]["asset_id"] == s.asset["id"]
    assert body["data"]["registration_number"] == pledge["registration_number"]
    assert isinstance(body["data"]["seq"], int)
    assert "secured_amount" not in body["data"] and "contract_number" not in body["data"]
    [log] = deliveries(client, s.headers["bank"], sub["id"])
    assert log["status"] == "delivered" and log["attempts"] == 1
    assert log["last_status_code"] == 204 and log["webhook_id"] == got.webhook_id


def test_a_receiver_failing_three_times_gets_the_fourth_with_the_same_id(
    client, notifying, registry, keys, receiver
):
    receiver.answer = lambda n: 500 if n <= 3 else 200
    s = scene(registry, keys)
    sub = subscribe(client, s.headers["bank"], receiver.url, ["pledge.registered"])
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    assert Worker(notifying).run_once() == 4
    assert len(receiver.received) == 4
    assert len({r.webhook_id for r in receiver.received}) == 1
    for got in receiver.received:
        assert verified(sub["secret"], got)["type"] == "pledge.registered"
    [log] = deliveries(client, s.headers["bank"], sub["id"])
    assert (log["status"], log["attempts"], log["last_status_code"]) == ("delivered", 4, 200)


def test_a_receiver_down_when_the_event_is_written_gets_it_when_back(
    client, notifying, registry, keys
):
    notifying.config["WEBHOOK_RETRY_SCHEDULE"] = (5, 15, 40)
    clock = Clock()
    down = Receiver(port=free_port())
    s = scene(registry, keys)
    sub = subscribe(client, s.headers["bank"], down.url, ["pledge.registered"])
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    worker = Worker(notifying, clock=clock)
    assert worker.run_once() == 1  # refused: nobody listens
    [log] = deliveries(client, s.headers["bank"], sub["id"])
    assert log["status"] == "pending" and log["last_status_code"] is None and log["last_error"]
    assert worker.run_once() == 0  # the retry is not due yet
    down.start()
    try:
        clock.advance(7)  # past 5 s plus at most a fifth of jitter
        assert worker.run_once() == 1
    finally:
        down.stop()
    [got] = down.received
    assert verified(sub["secret"], got)["type"] == "pledge.registered"
    [log] = deliveries(client, s.headers["bank"], sub["id"])
    assert (log["status"], log["attempts"]) == ("delivered", 2)


def test_after_the_last_retry_the_subscription_is_failing_until_a_delivery_succeeds(
    client, notifying, registry, keys, receiver
):
    notifying.config["WEBHOOK_RETRY_SCHEDULE"] = (0, 0)
    receiver.answer = lambda n: 503
    s = scene(registry, keys)
    sub = subscribe(client, s.headers["bank"], receiver.url, ["pledge.registered"])
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    worker = Worker(notifying)
    assert worker.run_once() == 3
    [log] = deliveries(client, s.headers["bank"], sub["id"])
    assert (log["status"], log["attempts"], log["last_status_code"]) == ("failed", 3, 503)
    path = f"{API}/subscriptions/{sub['id']}"
    assert client.get(path, headers=s.headers["bank"]).get_json()["status"] == "failing"
    receiver.answer = lambda n: 200
    again = client.post(f"{path}/deliveries/{log['id']}/redeliver", headers=s.headers["bank"])
    assert again.status_code == 202 and again.get_json()["status"] == "pending"
    assert worker.run_once() == 1
    assert len({r.webhook_id for r in receiver.received}) == 1 and len(receiver.received) == 4
    assert client.get(path, headers=s.headers["bank"]).get_json()["status"] == "active"


def test_a_worker_dying_mid_delivery_loses_nothing_and_sends_once_more_at_most(
    client, notifying, registry, keys, receiver
):
    clock = Clock()
    s = scene(registry, keys)
    sub = subscribe(client, s.headers["bank"], receiver.url, ["pledge.registered"])
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    dead = Worker(notifying, clock=clock)
    dead.dispatch()
    sessions = database(notifying).sessions
    from ipx.instance_keys import registry_digest_key

    secret = registry_digest_key(notifying.config["DIGEST_KEY_FILE"])
    [held] = claim(sessions, secret, worker="dies", now=clock(), lease=dead.lease)
    send(held, timeout=5, allow_loopback=True)  # sent, then the worker dies before recording
    survivor = Worker(notifying, clock=clock)
    assert survivor.run_once() == 0  # the lease still holds
    clock.advance(dead.lease.total_seconds() + 1)
    assert survivor.run_once() == 1
    assert len(receiver.received) == 2 and len({r.webhook_id for r in receiver.received}) == 1
    [log] = deliveries(client, s.headers["bank"], sub["id"])
    assert (log["status"], log["attempts"]) == ("delivered", 2)
    assert survivor.run_once() == 0  # and never again


def test_a_bank_never_receives_another_banks_events(client, notifying, registry, keys):
    s = scene(registry, keys)
    mine, theirs, owner = Receiver().start(), Receiver().start(), Receiver().start()
    try:
        bank_sub = subscribe(client, s.headers["bank"], mine.url)
        other_sub = subscribe(client, s.headers["other_bank"], theirs.url)
        owner_sub = subscribe(client, s.headers["owner"], owner.url)
        pledge = registry.pledge(s.owner, s.bank, [s.asset["id"]])
        other = registry.pledge(s.other_owner, s.other_bank, [s.other_asset["id"]])
        order = {"court": "上海知识产权法院", "order_number": "(2026)沪73执保12号"}
        registry.post(f"/assets/{s.asset['id']}/freezes", order)
        registry.post(f"/pledges/{other['id']}/cancel", {"reason": "repaid"}, status=200)
        Worker(notifying).run_once()
    finally:
        for r in (mine, theirs, owner):
            r.stop()
    assert mine.types() == ["pledge.registered", "asset.frozen"]
    assert {r.json["data"].get("pledge_id") for r in mine.of_type("pledge.registered")} == {
        pledge["id"]
    }
    assert mine.of_type("asset.frozen")[0].json["data"]["asset_id"] == s.asset["id"]
    assert theirs.types() == ["pledge.registered", "pledge.cancelled"]
    assert all(r.json["data"]["pledge_id"] == other["id"] for r in theirs.received)
    assert owner.types() == ["pledge.registered", "asset.frozen"]  # its own pledge and asset
    for sub, r in ((bank_sub, mine), (other_sub, theirs), (owner_sub, owner)):
        for got in r.received:
            verified(sub["secret"], got)
    # Nor sees another bank's subscription or its log.
    path = f"{API}/subscriptions/{bank_sub['id']}"
    assert_problem(client.get(path, headers=s.headers["other_bank"]), 404)
    assert_problem(client.get(f"{path}/deliveries", headers=s.headers["other_bank"]), 404)
    assert_problem(client.delete(path, headers=s.headers["other_bank"]), 404)
    listed = client.get(f"{API}/subscriptions", headers=s.headers["other_bank"]).get_json()
    assert [item["id"] for item in listed["items"]] == [other_sub["id"]]
    everyone = client.get(f"{API}/subscriptions", headers=s.headers["clerk"]).get_json()
    assert len(everyone["items"]) == 3


TRANSFER_EVENTS = [
    "transfer.requested",
    "transfer.consented",
    "transfer.declined",
    "transfer.withdrawn",
]


def test_a_co_holder_is_told_of_each_step_of_a_transfer_request(client, notifying, registry, keys):
    """The pledge's parties are the pledgor and the pledgee; a co-holder of the asset is told
    too, with the same payload, of every step, the consent that moves its share away included
    (fanned out after the asset moved: who is told is who it was asked for), and may still read
    the request afterwards. The buyer, for whom it was made before it held anything, and
    another bank are not told."""
    s = scene(registry, keys)
    co_held = registry.asset([s.owner, s.other_owner])
    registry.pledge(s.owner, s.bank, [co_held["id"]], co_owner_consent_ids=[s.other_owner])
    buyer = registry.party("华南新材料有限公司")
    headers = {**s.headers, "buyer": keys.header("owner", buyer)}
    receivers = {who: Receiver().start() for who in ("bank", "other_owner", "buyer", "other_bank")}
    path = f"{API}/transfer-requests"
    ask = {"asset_id": co_held["id"], "kind": "assignment", "to_party_ids": [buyer]}
    try:
        for who, r in receivers.items():
            subscribe(client, headers[who], r.url, TRANSFER_EVENTS)
        for action, who in (("decline", "bank"), ("withdraw", "owner"), ("consent", "bank")):
            asked = client.post(path, json=ask, headers=s.headers["owner"])
            assert asked.status_code == 201, asked.get_json()
            Worker(notifying).run_once()  # as a running worker would, between the steps
            body = {"proceeds": "escrow"} if action == "consent" else {"reason": "合同取消"}
            answer = client.post(
                f"{path}/{asked.get_json()['id']}/{action}", json=body, headers=s.headers[who]
            )
            assert answer.status_code == 200, answer.get_json()
            Worker(notifying).run_once()
        consented = asked.get_json()["id"]
    finally:
        for r in receivers.values():
            r.stop()
    steps = ["transfer.requested", "transfer.declined", "transfer.requested"]
    steps += ["transfer.withdrawn", "transfer.requested", "transfer.consented"]
    co_holder, bank = receivers["other_owner"], receivers["bank"]
    assert sorted(co_holder.types()) == sorted(bank.types()) == sorted(steps)

    def payloads(r: Receiver) -> list[dict]:
        return sorted((got.json["data"] for got in r.received), key=lambda data: data["seq"])

    assert payloads(co_holder) == payloads(bank)
    assert receivers["buyer"].received == [] and receivers["other_bank"].received == []
    # What it was told of, it may read: the request, and in its list, though it holds no more.
    assert client.get(f"{path}/{consented}", headers=s.headers["other_owner"]).status_code == 200
    listed = client.get(path, headers=s.headers["other_owner"]).get_json()["items"]
    assert consented in {item["id"] for item in listed}


def test_roles_that_may_subscribe(client, notifying, registry, keys, receiver):
    s = scene(registry, keys)
    url = receiver.url
    assert_problem(
        client.post(f"{API}/subscriptions", json={"url": url, "events": ALL_EVENTS}), 401
    )
    auditor = client.post(
        f"{API}/subscriptions",
        json={"url": url, "events": ALL_EVENTS},
        headers=s.headers["auditor"],
    )
    assert_problem(auditor, 403)
    # A clerk subscribes for a party it names; a bank only for its own.
    assert_problem(
        client.post(
            f"{API}/subscriptions",
            json={"url": url, "events": ALL_EVENTS},
            headers=s.headers["clerk"],
        ),
        422,
        "validation-failed",
    )
    for_bank = subscribe(client, s.headers["clerk"], url, party_id=s.bank)
    assert for_bank["party_id"] == s.bank
    mine = client.get(f"{API}/subscriptions/{for_bank['id']}", headers=s.headers["bank"])
    assert mine.status_code == 200
    subscribe(client, s.headers["bank"], url, party_id=s.other_bank, status=422)
    gone = client.delete(f"{API}/subscriptions/{for_bank['id']}", headers=s.headers["bank"])
    assert gone.status_code == 200
    assert_problem(
        client.get(f"{API}/subscriptions/{for_bank['id']}", headers=s.headers["bank"]), 404
    )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example/x",
        "file:///etc/passwd",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/hook",
        "http://127.0.0.1:8080/hook",
        "http://localhost:8080/hook",
        "http://192.168.1.1/",
        "http://user:pw@8.8.8.8/",
        "https://nonexistent.invalid/hook",
    ],
)
def test_urls_the_registry_must_not_call_are_refused(client, app, registry, keys, url):
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    bank = keys.header("bank", registry.party("工商银行上海分行"))
    response = client.post(
        f"{API}/subscriptions", json={"url": url, "events": ALL_EVENTS}, headers=bank
    )
    body = assert_problem(response, 422, "webhook-url-not-allowed")
    assert body["errors"]["url"]


def test_loopback_is_accepted_only_when_the_operator_allows_it(client, app, registry, keys):
    bank = keys.header("bank", registry.party("工商银行上海分行"))
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    body = {"url": "http://127.0.0.1:9/hook", "events": ["pledge.registered"]}
    assert_problem(client.post(f"{API}/subscriptions", json=body, headers=bank), 422)
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    assert client.post(f"{API}/subscriptions", json=body, headers=bank).status_code == 201


def test_a_given_secret_is_checked_and_used(client, notifying, registry, keys, receiver):
    s = scene(registry, keys)
    subscribe(client, s.headers["bank"], receiver.url, secret="whsec_tooshort", status=422)
    secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
    sub = subscribe(client, s.headers["bank"], receiver.url, secret=secret)
    assert sub["secret"] == secret
    test = client.post(f"{API}/subscriptions/{sub['id']}/test", headers=s.headers["bank"])
    assert test.status_code == 202 and test.get_json()["event_type"] == "subscription.test"
    Worker(notifying).run_once()
    [got] = receiver.received
    assert verified(secret, got)["type"] == "subscription.test"


def test_an_event_is_written_only_with_the_change_that_commits(client, notifying, registry, keys):
    s = scene(registry, keys)
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    with database(notifying).sessions() as session:
        before = session.execute(select(func.count()).select_from(OutboxEvent)).scalar_one()
    # Refused (already pledged): nothing registered, nothing announced.
    application = registry.application(s.owner, s.other_bank, [s.asset["id"]])
    refused = client.post(
        f"{API}/pledge-applications/{application['id']}/register", json={}, headers=registry.clerk
    )
    assert refused.status_code == 409
    with database(notifying).sessions() as session:
        after = session.execute(select(func.count()).select_from(OutboxEvent)).scalar_one()
        seqs = session.execute(select(OutboxEvent.seq, OutboxEvent.type)).all()
    assert after == before
    assert "pledge.registered" in {t for _, t in seqs}


def test_the_fee_watch_announces_overdue_fees_once_and_lapses_after_the_grace_period(
    client, notifying, registry, keys, receiver
):
    s = scene(registry, keys)
    sub = subscribe(client, s.headers["bank"], receiver.url, ["asset.fees_overdue", "asset.lapsed"])
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    path = f"{API}/assets/{s.asset['id']}"
    overdue = (date.today() - timedelta(days=20)).isoformat()
    patched = client.patch(path, json={"fees_paid_until": overdue}, headers=registry.clerk)
    assert patched.status_code == 200
    worker = Worker(notifying)
    assert worker.watch() == {"overdue": [s.asset["id"]], "lapsed": []}
    assert worker.watch() == {"overdue": [], "lapsed": []}  # announced once per due date
    worker.run_once()
    [got] = receiver.received
    body = verified(sub["secret"], got)
    assert body["type"] == "asset.fees_overdue"
    assert body["data"]["fees_paid_until"] == overdue and body["data"]["grace_until"] > overdue
    long_ago = (date.today() - timedelta(days=200)).isoformat()
    client.patch(path, json={"fees_paid_until": long_ago}, headers=registry.clerk)
    assert worker.watch() == {"overdue": [], "lapsed": [s.asset["id"]]}
    assert client.get(path, headers=registry.clerk).get_json()["status"] == "lapsed"
    worker.run_once()
    assert receiver.types() == ["asset.fees_overdue", "asset.lapsed"]


def test_no_attempt_is_logged_twice(client, notifying, registry, keys, receiver):
    receiver.answer = lambda n: 500 if n == 1 else 200
    s = scene(registry, keys)
    subscribe(client, s.headers["bank"], receiver.url, ["pledge.registered"])
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    Worker(notifying).run_once()
    with database(notifying).sessions() as session:
        numbers = session.execute(select(Attempt.number).order_by(Attempt.number)).scalars().all()
        statuses = session.execute(select(Delivery.status)).scalars().all()
    assert numbers == [1, 2] and statuses == ["delivered"]


ECONOMICS = {"annual_revenue": "2000000.00", "royalty_rate": 0.05, "discount_rate": 0.1}


def test_a_revaluation_announces_the_pledges_in_breach_to_their_pledgee(
    client, notifying, registry, keys, receiver
):
    s = scene(registry, keys)
    sub = subscribe(client, s.headers["bank"], receiver.url, ["valuation.ltv_breach"])
    big = registry.pledge(s.owner, s.bank, [s.asset["id"]], secured_amount="900000000.00")
    small_asset = registry.asset([s.owner])
    small = registry.pledge(s.owner, s.bank, [small_asset["id"]], secured_amount="1.00")
    registry.pledge(s.other_owner, s.other_bank, [s.other_asset["id"]])
    stored = {}
    for asset_id in (s.asset["id"], small_asset["id"]):
        body = {"asset_id": asset_id, "loan_term_months": 24, "economics": ECONOMICS}
        valued = client.post(f"{API}/valuations", json=body, headers=s.headers["bank"])
        assert valued.status_code == 201, valued.get_json()
        stored[asset_id] = valued.get_json()["collateral"]["collateral_value"]
    answer = client.post(f"{API}/portfolio/revaluations", json={}, headers=s.headers["bank"])
    assert answer.status_code == 201, answer.get_json()
    items = {item["pledge_id"]: item for item in answer.get_json()["items"]}
    assert set(items) == {big["id"], small["id"]}  # only its own pledges
    assert items[big["id"]]["breach"] is True, items
    assert items[small["id"]]["breach"] is False
    assert items[big["id"]]["old_collateral_value"] == stored[s.asset["id"]]
    assert items[big["id"]]["new_collateral_value"] is not None
    assert len(items[big["id"]]["valuation_ids"]) == 1
    Worker(notifying).run_once()
    [got] = receiver.received
    body = verified(sub["secret"], got)
    assert body["type"] == "valuation.ltv_breach" and body["data"]["pledge_id"] == big["id"]
    assert body["data"]["coverage"] == items[big["id"]]["coverage"]
    # With a threshold, the small pledge is covered still; the big one breaches again.
    again = client.post(
        f"{API}/portfolio/revaluations", json={"ltv_threshold": "0.5"}, headers=s.headers["bank"]
    )
    second = {i["pledge_id"]: i for i in again.get_json()["items"]}
    assert second[big["id"]]["breach"] and not second[small["id"]]["breach"]
    zero = client.post(
        f"{API}/portfolio/revaluations", json={"ltv_threshold": "0"}, headers=s.headers["bank"]
    )
    assert_problem(zero, 422, "validation-failed")
    owner = client.post(f"{API}/portfolio/revaluations", json={}, headers=s.headers["owner"])
    assert_problem(owner, 403)


def test_a_revaluation_retried_with_its_idempotency_key_replays_the_first(
    client, app, registry, keys
):
    s = scene(registry, keys)
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    headers = {**s.headers["bank"], "Idempotency-Key": "revaluation-2026-12"}
    before = row_counts(app)
    first = client.post(f"{API}/portfolio/revaluations", json={}, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["items"]
    stored = row_counts(app)
    assert stored["valuations"] > before["valuations"]  # the first call did value
    again = client.post(f"{API}/portfolio/revaluations", json={}, headers=headers)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert row_counts(app) == stored  # no second valuation, event or outbox row
    other = client.post(
        f"{API}/portfolio/revaluations", json={"ltv_threshold": "0.5"}, headers=headers
    )
    assert_problem(other, 422, "idempotency-mismatch")


def test_the_worker_revalues_each_banks_portfolio_on_its_schedule(
    client, notifying, registry, keys
):
    s = scene(registry, keys)
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    registry.pledge(s.other_owner, s.other_bank, [s.other_asset["id"]])
    worker = Worker(notifying)
    assert worker.revalue_due_banks() == []  # off unless the setting says how often
    notifying.config["REVALUATION_EVERY_DAYS"] = 30
    assert sorted(worker.revalue_due_banks()) == sorted([s.bank, s.other_bank])
    assert worker.revalue_due_banks() == []  # revalued: not due again for 30 days
    with database(notifying).sessions() as session:
        rows = session.execute(select(Valuation.party_id, Valuation.asset_id)).all()
    assert sorted(rows) == sorted([(s.bank, s.asset["id"]), (s.other_bank, s.other_asset["id"])])


def instance_secret(app) -> bytes:
    return registry_digest_key(app.config["DIGEST_KEY_FILE"])


def test_a_lease_that_runs_out_mid_batch_leaves_the_row_to_the_worker_that_took_it(
    client, notifying, registry, keys, receiver
):
    clock = Clock()
    s = scene(registry, keys)
    subscribe(client, s.headers["bank"], receiver.url, ["pledge.registered"])
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    registry.pledge(s.owner, s.bank, [registry.asset([s.owner])["id"]])
    slow = Worker(notifying, clock=clock, name="slow")
    slow.dispatch()
    sessions, taken = database(notifying).sessions, []

    def answer(n: int) -> int:
        if n == 1:  # the batch's first request outlasts the lease; another worker claims
            clock.advance(slow.lease.total_seconds() + 1)
            taken.extend(
                claim(
                    sessions, instance_secret(notifying), worker="b", now=clock(), lease=slow.lease
                )
            )
        return 204

    receiver.answer = answer
    assert slow.deliver_due() == 2
    assert len(taken) == 2
    assert len(receiver.received) == 1  # the second row was no longer the slow worker's
    receiver.answer = lambda n: 204
    for held in taken:
        outcome = send(held, timeout=5, allow_loopback=True)
        assert record(sessions, held, outcome, now=clock(), schedule=(0,)) == "delivered"
    ids = [r.webhook_id for r in receiver.received]
    assert sorted(ids.count(i) for i in set(ids)) == [1, 2]  # once more at most, never twice


def test_a_secret_that_cannot_be_unsealed_fails_that_delivery_alone(
    client, notifying, registry, keys, receiver
):
    s = scene(registry, keys)
    broken = subscribe(client, s.headers["bank"], receiver.url, ["pledge.registered"])
    fine = Receiver().start()
    try:
        subscribe(client, s.headers["owner"], fine.url, ["pledge.registered"])
        with database(notifying).sessions() as session:
            row = session.get(Subscription, broken["id"])
            assert row is not None
            row.secret_sealed = seal(broken["secret"], b"another instance" * 2, broken["id"])
            session.commit()
        registry.pledge(s.owner, s.bank, [s.asset["id"]])
        worker = Worker(notifying)
        assert worker.run_once() == 1
        assert worker.run_once() == 0  # and not claimed again, round after round
    finally:
        fine.stop()
    assert receiver.received == [] and fine.types() == ["pledge.registered"]
    [log] = deliveries(client, s.headers["bank"], broken["id"])
    assert (log["status"], log["attempts"]) == ("failed", 0)
    assert "secret" in log["last_error"]
    path = f"{API}/subscriptions/{broken['id']}"
    assert client.get(path, headers=s.headers["bank"]).get_json()["status"] == "failing"


def test_a_delivery_being_sent_is_not_redelivered(client, notifying, registry, keys, receiver):
    clock = Clock()
    s = scene(registry, keys)
    sub = subscribe(client, s.headers["bank"], receiver.url, ["pledge.registered"])
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    worker = Worker(notifying, clock=clock)
    worker.dispatch()
    sessions = database(notifying).sessions
    [held] = claim(
        sessions, instance_secret(notifying), worker="w", now=clock(), lease=worker.lease
    )
    path = f"{API}/subscriptions/{sub['id']}/deliveries/{held.delivery_id}/redeliver"
    assert_problem(client.post(path, headers=s.headers["bank"]), 409, "delivery-in-flight")
    outcome = send(held, timeout=5, allow_loopback=True)
    assert record(sessions, held, outcome, now=clock(), schedule=(0,)) == "delivered"
    again = client.post(path, headers=s.headers["bank"])
    assert again.status_code == 202 and again.get_json()["status"] == "pending"
    assert Worker(notifying).run_once() == 1  # due at the API's now: a real clock
    assert [r.webhook_id for r in receiver.received] == [held.webhook_id] * 2


def test_a_revaluation_starts_from_the_banks_own_valuations_only(client, notifying, registry, keys):
    s = scene(registry, keys)
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    values = {}
    richer = {**ECONOMICS, "annual_revenue": "9000000.00"}
    for who, economics in (("bank", ECONOMICS), ("other_bank", richer)):  # the other is newer
        body = {"asset_id": s.asset["id"], "loan_term_months": 24, "economics": economics}
        valued = client.post(f"{API}/valuations", json=body, headers=s.headers[who])
        assert valued.status_code == 201, valued.get_json()
        values[who] = valued.get_json()["collateral"]["collateral_value"]
    assert values["bank"] != values["other_bank"]
    answer = client.post(f"{API}/portfolio/revaluations", json={}, headers=s.headers["bank"])
    assert answer.status_code == 201, answer.get_json()
    [item] = answer.get_json()["items"]
    assert item["old_collateral_value"] == values["bank"]
    with database(notifying).sessions() as session:
        [new] = [session.get(Valuation, i) for i in item["valuation_ids"]]
        assert new is not None
        revenue = Decimal(new.request["economics"]["annual_revenue"])
    assert revenue == Decimal(ECONOMICS["annual_revenue"])


def test_an_unexpected_error_sending_one_delivery_is_its_failed_attempt(
    client, notifying, registry, keys, receiver, monkeypatch
):
    import ipx.notify.worker as worker_module

    s = scene(registry, keys)
    sub = subscribe(client, s.headers["bank"], receiver.url, ["pledge.registered"])
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    real_send = worker_module.send
    calls: list[int] = []

    def flaky(claimed, **kwargs):
        calls.append(claimed.delivery_id)
        if len(calls) == 1:
            raise RuntimeError("a bug in a library")
        return real_send(claimed, **kwargs)

    monkeypatch.setattr(worker_module, "send", flaky)
    assert Worker(notifying).run_once() == 2  # failed, then retried (schedule 0) and sent
    [log] = deliveries(client, s.headers["bank"], sub["id"])
    assert (log["status"], log["attempts"]) == ("delivered", 2)
    with database(notifying).sessions() as session:
        errors = session.execute(select(Attempt.error).order_by(Attempt.number)).scalars().all()
    assert errors[0] == "RuntimeError: a bug in a library" and errors[1] is None
