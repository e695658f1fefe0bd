"""Clients race to ask for transfers of the same pledged asset, over real HTTP: exactly one
request awaits consent, the others are 409 ``transfer-request-pending``; and a consent racing
a withdrawal of one request gives exactly one answer."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ipx.db_ext import database
from ipx.registry.orm import Transfer, TransferRequest
from tests.http_race import race, serving
from tests.registry_helpers import event_types

RACERS = 8
# Both backends; the PostgreSQL run is the slow race test CI runs.
SLOW_ON_POSTGRESQL = pytest.mark.parametrize(
    "backend",
    [pytest.param("postgresql", marks=[pytest.mark.slow, pytest.mark.postgres]), "sqlite"],
)


def _pledged_asset(registry) -> dict:
    owner, bank = registry.party(), registry.party("中国银行股份有限公司")
    asset = registry.asset([owner])
    registry.pledge(owner, bank, [asset["id"]])
    return asset


@SLOW_ON_POSTGRESQL
def test_one_request_per_asset_awaits_consent_under_concurrency(app, registry, clerk):
    asset = _pledged_asset(registry)
    buyers = [registry.party() for _ in range(RACERS)]
    posts = [
        (
            "/api/v1/transfer-requests",
            {"asset_id": asset["id"], "kind": "licence", "to_party_ids": [b]},
        )
        for b in buyers
    ]
    with serving(app) as port:
        results = race(port, clerk, posts)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (RACERS - 1), statuses
    assert {body["code"] for status, body in results if status == 409} == {
        "transfer-request-pending"
    }
    with database(app).sessions() as session:
        awaiting = select(func.count()).select_from(TransferRequest)
        assert session.execute(awaiting).scalar_one() == 1
    assert event_types(app).count("transfer.requested") == 1


@SLOW_ON_POSTGRESQL
def test_a_consent_racing_a_withdrawal_gives_one_answer(app, registry, clerk):
    asset = _pledged_asset(registry)
    request = registry.post(
        "/transfer-requests",
        {"asset_id": asset["id"], "kind": "assignment", "to_party_ids": [registry.party()]},
    )
    base = f"/api/v1/transfer-requests/{request['id']}"
    posts = [(f"{base}/consent", {"proceeds": "escrow"}), (f"{base}/withdraw", {})] * 2
    with serving(app) as port:
        results = race(port, clerk, posts)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409, 409, 409], results
    assert {body["code"] for status, body in results if status == 409} == {"invalid-transition"}
    with database(app).sessions() as session:
        status = session.execute(select(TransferRequest.status)).scalar_one()
        transfers = session.execute(select(func.count()).select_from(Transfer)).scalar_one()
    assert (status, transfers) in {("completed", 1), ("withdrawn", 0)}


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_the_database_itself_refuses_a_second_request_awaiting_consent(app, registry):
    """The partial unique index, below every check of the use case."""
    from sqlalchemy.exc import IntegrityError

    asset = _pledged_asset(registry)
    registry.post(
        "/transfer-requests",
        {"asset_id": asset["id"], "kind": "licence", "to_party_ids": [registry.party()]},
    )
    with database(app).sessions() as session:
        first = session.execute(select(TransferRequest)).scalar_one()
        copy = {c.key: getattr(first, c.key) for c in TransferRequest.__table__.columns}
        session.add(TransferRequest(**{**copy, "id": None}))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
        session.add(TransferRequest(**{**copy, "id": None, "status": "withdrawn"}))
        session.flush()  # an answered request is not limited
        session.rollback()
