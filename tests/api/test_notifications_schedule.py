"""A bank's own monthly revaluation schedule (its API and the worker's runs, by China date),
and the notification clean-ups of review: the fee watch's China date, the lease renewed only
when needed, deletion through the foreign key's cascade, former pledgees hearing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text

from ipx.auth import SYSTEM
from ipx.db_ext import database
from ipx.instance_keys import registry_digest_key
from ipx.notify.commands import WatchFees
from ipx.notify.orm import Attempt, Delivery, RevaluationSchedule
from ipx.notify.portfolio import SCHEDULED
from ipx.notify.watch import watch_fees
from ipx.notify.worker import Worker
from ipx.uow import UnitOfWork
from ipx.valuation.orm import Valuation
from tests.notify_helpers import Clock, Receiver
from tests.registry_helpers import assert_problem, scene

API = "/api/v1"
SCHEDULE = f"{API}/portfolio/revaluation-schedule"


@pytest.fixture
def notifying(app):
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    app.config["WEBHOOK_RETRY_SCHEDULE"] = (0, 0, 0, 0, 0)
    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 5
    app.config["REVALUATION_EVERY_DAYS"] = 0
    return app


def put(client, headers, body, party_id=None, status=200):
    query = {} if party_id is None else {"party_id": party_id}
    response = client.put(SCHEDULE, json=body, headers=headers, query_string=query)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def stored(app) -> list[tuple]:
    with database(app).sessions() as session:
        return session.execute(
            select(
                RevaluationSchedule.party_id,
                RevaluationSchedule.day_of_month,
                RevaluationSchedule.ltv_threshold,
                RevaluationSchedule.enabled,
            ).order_by(RevaluationSchedule.party_id)
        ).all()


def ledger_size(app) -> int:
    with database(app).sessions() as session:
        return session.execute(text("SELECT size FROM ledger_head")).scalar_one()


def test_a_bank_sets_reads_and_deletes_its_schedule_which_the_ledger_does_not_log(
    client, notifying, registry, keys
):
    s = scene(registry, keys)
    bank = s.headers["bank"]
    before = ledger_size(notifying)
    assert_problem(client.get(SCHEDULE, headers=bank), 404, "not-found")
    answer = put(client, bank, {"day_of_month": 5, "ltv_threshold": "0.5"})
    assert answer["party_id"] == s.bank and answer["day_of_month"] == 5
    assert answer["ltv_threshold"] == "0.5000" and answer["enabled"] is True
    assert answer["last_run_on"] is None
    assert client.get(SCHEDULE, headers=bank).get_json() == answer
    replaced = put(client, bank, {"day_of_month": 28, "enabled": False})
    assert (replaced["day_of_month"], replaced["ltv_threshold"], replaced["enabled"]) == (
        28,
        None,
        False,
    )
    deleted = client.delete(SCHEDULE, headers=bank)
    assert deleted.status_code == 200 and deleted.get_json() == replaced
    assert_problem(client.get(SCHEDULE, headers=bank), 404)
    assert_problem(client.delete(SCHEDULE, headers=bank), 404)
    assert stored(notifying) == []
    assert ledger_size(notifying) == before  # an operational setting, not a ledger event


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"day_of_month": 0},
        {"day_of_month": 29},
        {"day_of_month": "5"},
        {"day_of_month": 5, "ltv_threshold": "0"},
        {"day_of_month": 5, "ltv_threshold": "0.0000"},
        {"day_of_month": 5, "ltv_threshold": "1.5"},
        {"day_of_month": 5, "ltv_threshold": 0.5},
        {"day_of_month": 5, "enabled": "maybe"},
        {"day_of_month": 5, "enabled": 0},
        {"day_of_month": 5.0},
        {"day_of_month": 5, "unknown": 1},
    ],
)
def test_a_schedule_the_schema_refuses_leaves_the_stored_one(
    client, notifying, registry, keys, body
):
    s = scene(registry, keys)
    put(client, s.headers["bank"], {"day_of_month": 3})
    refused = client.put(SCHEDULE, json=body, headers=s.headers["bank"])
    assert_problem(refused, 422, "validation-failed")
    assert stored(notifying) == [(s.bank, 3, None, True)]


def test_who_may_read_and_set_a_banks_schedule(client, notifying, registry, keys):
    s = scene(registry, keys)
    h = s.headers
    mine = put(client, h["bank"], {"day_of_month": 7})
    # Another bank: neither reads, sets nor deletes it; its own is not there.
    for call in (client.get, client.delete):
        assert_problem(
            call(SCHEDULE, headers=h["other_bank"], query_string={"party_id": s.bank}), 403
        )
    put(client, h["other_bank"], {"day_of_month": 1}, party_id=s.bank, status=403)
    assert_problem(client.get(SCHEDULE, headers=h["other_bank"]), 404)
    # Owners and callers without a key: nothing.
    assert_problem(client.get(SCHEDULE, headers=h["owner"], query_string={"party_id": s.bank}), 403)
    put(client, h["owner"], {"day_of_month": 1}, status=403)
    assert_problem(client.get(SCHEDULE, query_string={"party_id": s.bank}), 401)
    # Auditors read; clerks read and set, naming the bank (an existing party).
    for who in ("auditor", "clerk", "admin"):
        got = client.get(SCHEDULE, headers=h[who], query_string={"party_id": s.bank})
        assert got.status_code == 200 and got.get_json() == mine
    put(client, h["auditor"], {"day_of_month": 1}, party_id=s.bank, status=403)
    assert_problem(client.get(SCHEDULE, headers=h["clerk"]), 422, "validation-failed")
    missing = client.put(SCHEDULE, json={"day_of_month": 2}, headers=h["clerk"])
    assert_problem(missing, 422, "validation-failed")
    unknown = put(client, h["clerk"], {"day_of_month": 2}, party_id=999_999, status=422)
    assert "party_id" in unknown["errors"]
    put(client, h["clerk"], {"day_of_month": 9}, party_id=s.other_bank)
    assert stored(notifying) == [(s.bank, 7, None, True), (s.other_bank, 9, None, True)]
    removed = client.delete(SCHEDULE, headers=h["clerk"], query_string={"party_id": s.other_bank})
    assert removed.status_code == 200
    assert stored(notifying) == [(s.bank, 7, None, True)]


def china(year: int, month: int, day: int, hour: int = 1) -> datetime:
    """The UTC moment of ``hour`` o'clock China time that day (01:00: the UTC date before)."""
    return datetime(year, month, day, hour, tzinfo=UTC) - timedelta(hours=8)


def scheduled_valuations(app) -> dict[int, int]:
    actor = f"key:{SCHEDULED}"
    with database(app).sessions() as session:
        rows = session.execute(
            select(Valuation.party_id, func.count())
            .where(Valuation.requested_by == actor)
            .group_by(Valuation.party_id)
        ).all()
    return dict(rows)


def test_the_worker_revalues_a_bank_on_its_own_day_by_china_date_once_a_month(
    client, notifying, registry, keys
):
    s = scene(registry, keys)
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    registry.pledge(s.other_owner, s.other_bank, [s.other_asset["id"]])
    put(client, s.headers["bank"], {"day_of_month": 11})
    put(client, registry.clerk, {"day_of_month": 12}, party_id=s.other_bank)
    clock = Clock()
    worker = Worker(notifying, clock=clock)
    clock.now = china(2026, 12, 11)  # still 10 December in UTC
    assert clock.now.date().day == 10
    assert worker.revalue_due_banks() == [s.bank]
    assert worker.revalue_due_banks() == []  # not twice in one month
    clock.now = china(2026, 12, 12)
    assert worker.revalue_due_banks() == [s.other_bank]
    clock.now = china(2026, 12, 31, 23)
    assert worker.revalue_due_banks() == []
    # The bank moves its day: the month it already ran is not run again.
    put(client, s.headers["bank"], {"day_of_month": 20})
    assert worker.revalue_due_banks() == []
    clock.now = china(2027, 1, 19, 23)
    assert worker.revalue_due_banks() == [s.other_bank]  # its day 12 has come this month
    clock.now = china(2027, 1, 20)
    assert worker.revalue_due_banks() == [s.bank]
    got = client.get(SCHEDULE, headers=s.headers["bank"]).get_json()
    assert got["last_run_on"] == "2027-01-20" and got["day_of_month"] == 20
    assert scheduled_valuations(notifying) == {s.bank: 2, s.other_bank: 2}


def test_banks_without_a_schedule_keep_the_operators_default(client, notifying, registry, keys):
    s = scene(registry, keys)
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    registry.pledge(s.other_owner, s.other_bank, [s.other_asset["id"]])
    notifying.config["REVALUATION_EVERY_DAYS"] = 30
    put(client, s.headers["bank"], {"day_of_month": 28})
    worker = Worker(notifying, clock=Clock())
    worker.clock.now = china(2026, 12, 11)  # type: ignore[attr-defined]
    assert worker.revalue_due_banks() == [s.other_bank]  # the bank's own day is not here yet
    put(client, s.headers["bank"], {"day_of_month": 1, "enabled": False})
    assert worker.revalue_due_banks() == []  # disabled: no scheduled revaluation at all
    client.delete(SCHEDULE, headers=s.headers["bank"])
    assert worker.revalue_due_banks() == [s.bank]  # back on the default
    assert scheduled_valuations(notifying) == {s.bank: 1, s.other_bank: 1}


def test_the_fee_watch_counts_china_dates(client, notifying, registry, keys):
    s = scene(registry, keys)
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    moment = datetime.combine(datetime.now(UTC).date(), time(16, 5), UTC)  # 00:05 in China
    paid_until = moment.date()  # yesterday in China, today in UTC: overdue since midnight
    path = f"{API}/assets/{s.asset['id']}"
    patched = client.patch(
        path, json={"fees_paid_until": paid_until.isoformat()}, headers=registry.clerk
    )
    assert patched.status_code == 200, patched.get_json()
    key = registry_digest_key(notifying.config["DIGEST_KEY_FILE"])
    with UnitOfWork(database(notifying).sessions, clock=lambda: moment, digest_key=key) as uow:
        found = watch_fees(uow, SYSTEM, WatchFees([s.asset["id"]]))  # rolled back: not committed
    assert found == {"overdue": [s.asset["id"]], "lapsed": []}
    earlier = moment - timedelta(minutes=10)  # 23:55 in China: the fee is not overdue yet
    with UnitOfWork(database(notifying).sessions, clock=lambda: earlier, digest_key=key) as uow:
        assert watch_fees(uow, SYSTEM, WatchFees([s.asset["id"]])) == {"overdue": [], "lapsed": []}


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def subscribe(client, headers, url, events) -> dict:
    response = client.post(
        f"{API}/subscriptions", json={"url": url, "events": events}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_batch_renews_a_lease_only_once_too_little_of_it_is_left(
    client, notifying, registry, keys, receiver, monkeypatch
):
    import ipx.notify.worker as worker_module

    s = scene(registry, keys)
    subscribe(client, s.headers["bank"], receiver.url, ["pledge.registered"])
    for asset in (s.asset, registry.asset([s.owner]), registry.asset([s.owner])):
        registry.pledge(s.owner, s.bank, [asset["id"]])
    clock = Clock()
    worker = Worker(notifying, clock=clock)
    worker.dispatch()
    renewed: list[int] = []
    real_renew = worker_module.renew

    def counting(sessions, claimed, **kwargs):
        renewed.append(claimed.delivery_id)
        return real_renew(sessions, claimed, **kwargs)

    monkeypatch.setattr(worker_module, "renew", counting)
    spare = (worker.lease - worker.needed).total_seconds()

    def answer(n: int) -> int:
        if n == 2:  # the second request ate the lease's spare time: the third needs renewing
            clock.advance(spare + 1)
        return 204

    receiver.answer = answer
    assert worker.deliver_due() == 3
    assert len(receiver.received) == 3
    with database(notifying).sessions() as session:
        ids = session.execute(select(Delivery.id).order_by(Delivery.id)).scalars().all()
    assert renewed == [ids[2]]  # not the first two: their lease, as claimed, was enough


def test_deleting_a_subscription_deletes_its_log_through_the_cascade(
    client, notifying, registry, keys, receiver
):
    receiver.answer = lambda n: 500 if n == 1 else 204
    s = scene(registry, keys)
    sub = subscribe(client, s.headers["bank"], receiver.url, ["pledge.registered"])
    kept = subscribe(client, s.headers["owner"], receiver.url, ["pledge.registered"])
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    Worker(notifying).run_once()

    def counts() -> dict[int, tuple[int, int]]:
        with database(notifying).sessions() as session:
            rows = session.execute(
                select(
                    Delivery.subscription_id,
                    func.count(func.distinct(Delivery.id)),
                    func.count(Attempt.id),
                )
                .outerjoin(Attempt, Attempt.delivery_id == Delivery.id)
                .group_by(Delivery.subscription_id)
            ).all()
        return {sub_id: (d, a) for sub_id, d, a in rows}

    assert counts()[sub["id"]][0] == 1 and sum(a for _, a in counts().values()) == 3
    deleted = client.delete(f"{API}/subscriptions/{sub['id']}", headers=s.headers["bank"])
    assert deleted.status_code == 200
    left = counts()
    assert sub["id"] not in left and left[kept["id"]][0] == 1
    with database(notifying).sessions() as session:
        attempts = session.execute(select(func.count()).select_from(Attempt)).scalar_one()
    assert attempts == left[kept["id"]][1] < 3  # the deleted one's attempts went too


def test_a_former_pledgee_hears_nothing_of_the_assets_later_events(
    client, notifying, registry, keys, receiver
):
    s = scene(registry, keys)
    events = ["pledge.registered", "pledge.cancelled", "asset.frozen"]
    subscribe(client, s.headers["bank"], receiver.url, events)
    owner = Receiver().start()
    try:
        subscribe(client, s.headers["owner"], owner.url, events)
        pledge = registry.pledge(s.owner, s.bank, [s.asset["id"]])
        registry.post(f"/pledges/{pledge['id']}/cancel", {"reason": "repaid"}, status=200)
        order = {"court": "上海知识产权法院", "order_number": "(2026)沪73执保13号"}
        registry.post(f"/assets/{s.asset['id']}/freezes", order)
        Worker(notifying).run_once()
    finally:
        owner.stop()
    assert receiver.types() == ["pledge.registered", "pledge.cancelled"]
    assert owner.types() == ["pledge.registered", "pledge.cancelled", "asset.frozen"]


def test_the_document_refuses_a_zero_ltv_threshold_itself(client):
    import re

    document = client.get(f"{API}/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    patterns = {
        name: schema["properties"]["ltv_threshold"]["pattern"]
        for name, schema in schemas.items()
        if "ltv_threshold" in schema.get("properties", {})
        and "pattern" in schema["properties"]["ltv_threshold"]
    }
    assert len(patterns) >= 2, patterns  # the revaluation's and the schedule's
    for pattern in patterns.values():
        assert not any(re.match(pattern, t) for t in ("0", "0.0", "0.0000", "1.5", "0.00001"))
        assert all(re.match(pattern, t) for t in ("0.0001", "0.5", "0.0500", "1", "1.0000"))
