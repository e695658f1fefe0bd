"""A reservation left by a crashed request does not block its key forever."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from ipx.db_ext import database
from ipx.idempotency import ABANDONED_AFTER, IdempotencyRecord
from ipx.uow import utcnow
from tests.registry_helpers import credit_code


def test_a_fresh_reservation_is_in_progress_and_an_old_one_is_freed(app, client, clerk):
    body = {"kind": "organization", "name": "滨海理工大学", "credit_code": credit_code()}
    headers = {**clerk, "Idempotency-Key": "k-1"}
    first = client.post("/api/v1/parties", json=body, headers=headers)
    assert first.status_code == 201
    # Simulate a crash after reserving: the answer was never stored.
    with database(app).sessions() as session:
        session.execute(update(IdempotencyRecord).values(status=None, body=None))
        session.commit()
    in_progress = client.post("/api/v1/parties", json=body, headers=headers)
    assert in_progress.status_code == 409
    assert in_progress.get_json()["code"] == "idempotency-in-progress"
    with database(app).sessions() as session:
        session.execute(
            update(IdempotencyRecord).values(
                created_at=utcnow() - ABANDONED_AFTER - timedelta(seconds=1)
            )
        )
        session.commit()
    retried = client.post("/api/v1/parties", json=body, headers=headers)
    # The party exists (the first request did commit), so the rerun meets the duplicate check
    # instead of creating a second one.
    assert retried.status_code == 409
    assert retried.get_json()["code"] == "party-exists"
