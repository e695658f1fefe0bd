"""The key, the work and the stored answer share one transaction.

So nothing can be created without its answer being kept (no crash window between them), a
failure anywhere before the commit leaves neither the work nor the key, and a concurrent retry
with the same key waits for the first request and then replays its answer.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from ipx.db_ext import database
from ipx.idempotency import IdempotencyRecord
from ipx.registry.services import parties
from ipx.uow import UnitOfWork
from tests.registry_helpers import credit_code, row_counts


def _keys_stored(app) -> int:
    with database(app).sessions() as session:
        return session.execute(select(func.count()).select_from(IdempotencyRecord)).scalar_one()


def test_a_failure_after_the_work_leaves_neither_the_work_nor_the_key(
    app, client, clerk, monkeypatch
):
    body = {"kind": "organization", "name": "滨海理工大学", "credit_code": credit_code()}
    headers = {**clerk, "Idempotency-Key": "k-1"}
    before, keys_before = row_counts(app), _keys_stored(app)

    def fail(self):  # the last step before the commit: appending the ledger entries
        raise RuntimeError("disk gone")

    with monkeypatch.context() as patch:
        patch.setattr(UnitOfWork, "append_events", fail)
        app.config["PROPAGATE_EXCEPTIONS"] = False
        crashed = client.post("/api/v1/parties", json=body, headers=headers)
    assert crashed.status_code == 500
    assert row_counts(app) == before
    assert _keys_stored(app) == keys_before
    retried = client.post("/api/v1/parties", json=body, headers=headers)
    assert retried.status_code == 201
    assert retried.headers.get("Idempotent-Replayed") is None
    replayed = client.post("/api/v1/parties", json=body, headers=headers)
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.get_json() == retried.get_json()


def test_the_answer_is_stored_with_the_work(app, client, clerk):
    body = {"kind": "organization", "name": "华南电子有限公司", "credit_code": credit_code()}
    created = client.post("/api/v1/parties", json=body, headers={**clerk, "Idempotency-Key": "a"})
    with database(app).sessions() as session:
        record = session.execute(select(IdempotencyRecord)).scalar_one()
    assert (record.status, record.body) == (201, created.get_data(as_text=True))


def test_a_concurrent_retry_waits_for_the_first_and_replays_it(app, client, clerk, monkeypatch):
    body = {"kind": "organization", "name": "西部材料股份有限公司", "credit_code": credit_code()}
    headers = {**clerk, "Idempotency-Key": "same"}
    inside, release = threading.Event(), threading.Event()
    create = parties.create_party

    def slow_create(uow, data):
        party = create(uow, data)
        inside.set()
        assert release.wait(timeout=20)
        return party

    monkeypatch.setattr(parties, "create_party", slow_create)
    answers: dict[str, object] = {}

    def post(name):
        answers[name] = client.post("/api/v1/parties", json=body, headers=headers)

    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert inside.wait(timeout=20)
    monkeypatch.setattr(parties, "create_party", create)
    second = threading.Thread(target=post, args=("second",))
    second.start()
    second.join(timeout=1.0)
    assert second.is_alive(), "the retry must wait for the first request, not run beside it"
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    one, two = answers["first"], answers["second"]
    assert (one.status_code, two.status_code) == (201, 201)
    assert two.headers.get("Idempotent-Replayed") == "true"
    assert two.get_json() == one.get_json()
    assert row_counts(app)["parties"] == 1


def test_a_concurrent_retry_runs_the_work_itself_when_the_first_fails(
    app, client, clerk, monkeypatch
):
    body = {"kind": "organization", "name": "北方重工集团", "credit_code": credit_code()}
    headers = {**clerk, "Idempotency-Key": "again"}
    inside, release = threading.Event(), threading.Event()
    create = parties.create_party

    def failing_create(uow, data):
        create(uow, data)
        inside.set()
        assert release.wait(timeout=20)
        raise RuntimeError("the first request dies after its work")

    monkeypatch.setattr(parties, "create_party", failing_create)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    answers: dict[str, object] = {}

    def post(name):
        answers[name] = client.post("/api/v1/parties", json=body, headers=headers)

    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert inside.wait(timeout=20)
    monkeypatch.setattr(parties, "create_party", create)
    second = threading.Thread(target=post, args=("second",))
    second.start()
    second.join(timeout=1.0)
    assert second.is_alive()
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert answers["first"].status_code == 500
    assert answers["second"].status_code == 201
    assert answers["second"].headers.get("Idempotent-Replayed") is None
    assert row_counts(app)["parties"] == 1
