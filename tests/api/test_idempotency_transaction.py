"""The key, the work and the stored answer share one transaction.

So nothing can be created without its answer being kept (no crash window between them), a
failure anywhere before the commit leaves neither the work nor the key, and a concurrent retry
with the same key waits for the first request and then replays its answer.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from ipx import create_app
from ipx.db_ext import database
from ipx.ledger.tables import LedgerEntry
from ipx.registry.commands import CreateParty
from ipx.uow import UnitOfWork
from ipx.web.idempotency import IdempotencyRecord
from tests.registry_helpers import assert_problem, credit_code, row_counts


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


class PausedFirst:
    """POST a party in a thread whose work stops inside its transaction (key row inserted,
    party written) until ``resume()``; then optionally fails instead of returning."""

    def __init__(self, client, body: dict, headers: dict, monkeypatch, *, fail: bool = False):
        self.inside, self.release = threading.Event(), threading.Event()
        self.answer = None
        cases = client.application.extensions["ipx.usecases"]._cases
        case = cases[CreateParty]

        def paused_create(uow, principal, command):
            party = case.handler(uow, principal, command)
            self.inside.set()
            assert self.release.wait(timeout=20)
            if fail:
                raise RuntimeError("the first request dies after its work")
            return party

        monkeypatch.setitem(cases, CreateParty, replace(case, handler=paused_create))
        self.thread = threading.Thread(target=self._post, args=(client, body, headers))
        self.thread.start()
        assert self.inside.wait(timeout=20)
        monkeypatch.setitem(cases, CreateParty, case)  # later requests run normally

    def _post(self, client, body, headers):
        self.answer = client.post("/api/v1/parties", json=body, headers=headers)

    def resume(self):
        self.release.set()
        self.thread.join(timeout=30)
        return self.answer


def _retry_in_thread(client, body, headers):
    answer = {}
    thread = threading.Thread(
        target=lambda: answer.update(r=client.post("/api/v1/parties", json=body, headers=headers))
    )
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive(), "the retry must wait for the first request, not run beside it"
    return thread, answer


def test_a_concurrent_retry_waits_for_the_first_and_replays_it(app, client, clerk, monkeypatch):
    body = {"kind": "organization", "name": "西部材料股份有限公司", "credit_code": credit_code()}
    headers = {**clerk, "Idempotency-Key": "same"}
    first = PausedFirst(client, body, headers, monkeypatch)
    retry, answer = _retry_in_thread(client, body, headers)
    one = first.resume()
    retry.join(timeout=30)
    two = answer["r"]
    assert (one.status_code, two.status_code) == (201, 201)
    assert two.headers.get("Idempotent-Replayed") == "true"
    assert two.get_json() == one.get_json()
    assert row_counts(app)["parties"] == 1


def test_a_concurrent_retry_runs_the_work_itself_when_the_first_fails(
    app, client, clerk, monkeypatch
):
    body = {"kind": "organization", "name": "北方重工集团", "credit_code": credit_code()}
    headers = {**clerk, "Idempotency-Key": "again"}
    app.config["PROPAGATE_EXCEPTIONS"] = False
    first = PausedFirst(client, body, headers, monkeypatch, fail=True)
    retry, answer = _retry_in_thread(client, body, headers)
    assert first.resume().status_code == 500
    retry.join(timeout=30)
    assert answer["r"].status_code == 201
    assert answer["r"].headers.get("Idempotent-Replayed") is None
    assert row_counts(app)["parties"] == 1


def test_a_registration_retried_with_its_key_replays_the_final_number(app, client, registry):
    owner, bank = registry.party(), registry.party("中国建设银行股份有限公司")
    application = registry.application(owner, bank, [registry.asset([owner])["id"]])
    path = f"/api/v1/pledge-applications/{application['id']}/register"
    headers = {**registry.clerk, "Idempotency-Key": "register-once"}
    first = client.post(path, headers=headers)
    again = client.post(path, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    number = first.get_json()["registration_number"]
    # Numbered under the log's lock before the answer was rendered and stored: never the
    # provisional number, and the same number the log holds.
    assert number.startswith("IPX-P-") and "pending" not in again.get_data(as_text=True)
    with database(app).sessions() as session:
        record = session.execute(select(IdempotencyRecord)).scalars().all()[-1]
    assert number in record.body
    with database(app).sessions() as session:
        (leaf,) = session.execute(
            select(LedgerEntry.leaf).where(LedgerEntry.type == "pledge.registered")
        ).scalars()
    assert json.loads(leaf)["data"]["registration_number"] == number
    without_key = client.post(path, headers=registry.clerk)
    assert without_key.status_code == 409  # a retry without the key meets the registered state


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite bounds the wait by busy_timeout
def test_a_retry_waits_no_longer_than_the_lock_timeout(app, client, clerk, monkeypatch):
    impatient = create_app({**app.config, "DB_LOCK_TIMEOUT_MS": 300})
    body = {"kind": "organization", "name": "东海船舶重工有限公司", "credit_code": credit_code()}
    headers = {**clerk, "Idempotency-Key": "slow"}
    first = PausedFirst(client, body, headers, monkeypatch)
    try:
        retry = impatient.test_client().post("/api/v1/parties", json=body, headers=headers)
        assert_problem(retry, 409, "idempotency-in-progress")
    finally:
        answer = first.resume()
        database(impatient).engine.dispose()
    assert answer.status_code == 201
    assert row_counts(app)["parties"] == 1
