"""Two workers on PostgreSQL never make the same delivery attempt: ``FOR UPDATE SKIP LOCKED``
hands each due delivery to one of them, and its lease keeps the other off it."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from ipx.db_ext import database
from ipx.notify.orm import Attempt, Delivery
from ipx.notify.worker import Worker
from tests.notify_helpers import Receiver
from tests.registry_helpers import scene

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.parametrize("backend", ["postgresql"]),
]

DELIVERIES = 40


def test_two_workers_never_deliver_the_same_attempt_twice(client, app, registry, keys):
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    app.config["WEBHOOK_RETRY_SCHEDULE"] = (0, 0, 0)
    receiver = Receiver(delay=0.005).start()
    try:
        s = scene(registry, keys)
        body = {"url": receiver.url, "events": ["pledge.registered"]}
        sub = client.post("/api/v1/subscriptions", json=body, headers=s.headers["bank"])
        path = f"/api/v1/subscriptions/{sub.get_json()['id']}/test"
        for _ in range(DELIVERIES - 1):
            assert client.post(path, headers=s.headers["bank"]).status_code == 202
        registry.pledge(s.owner, s.bank, [s.asset["id"]])  # and one from the outbox
        workers = [Worker(app, name=f"worker-{n}") for n in range(2)]
        start = threading.Barrier(len(workers))
        errors: list[BaseException] = []

        def work(worker: Worker) -> None:
            try:
                start.wait()
                for _ in range(50):
                    worker.dispatch()
                    worker.deliver_due(limit=3)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        receiver.stop()
    assert not errors, errors
    sent = Counter(r.webhook_id for r in receiver.received)
    assert len(sent) == DELIVERIES and set(sent.values()) == {1}, sent.most_common(3)
    with database(app).sessions() as session:
        attempts = session.execute(select(Attempt.delivery_id, Attempt.number)).all()
        statuses = Counter(session.execute(select(Delivery.status)).scalars())
    assert statuses == {"delivered": DELIVERIES}
    assert sorted(number for _, number in attempts) == [1] * DELIVERIES
