"""Clerks approving at once on PostgreSQL: approvals stop exactly at the budget, the rest are
409 ``budget-exhausted``, and nothing is half-written. Two applications for one loan at once:
one is filed, the other gets ``duplicate-application``."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ipx.db_ext import database
from ipx.support.orm import SupportApplication, SupportClaim, SupportProgramme
from tests.registry_helpers import audit, event_types, scene

API = "/api/v1"
CLERKS = 32
FITS = 10  # the budget covers this many of the 32 approvals exactly
AMOUNT = Decimal("80.00")
OWED = {"outstanding_principal": "1000000.00"}  # of an interest claim


def _programme(client, admin, budget: Decimal) -> dict:
    year = date.today().year
    body = {
        "name": "并发贴息",
        "kind": "interest_subsidy",
        "period_start": f"{year}-01-01",
        "period_end": f"{year}-12-31",
        "rate_bp": 10_000,
        "cap_per_loan": f"{AMOUNT}",
        "cap_per_firm_year": "100000000.00",
        "budget": f"{budget}",
    }
    response = client.post(f"{API}/support-programmes", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _in_parallel(app, calls: list) -> list:
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def attempt(i, method, path, body, headers):
        client = app.test_client()
        barrier.wait(timeout=60)
        response = getattr(client, method)(path, json=body, headers=headers)
        answers[i] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=attempt, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite writers never overlap
def test_concurrent_approvals_stop_exactly_at_the_budget(app, client, registry, keys):
    cast = scene(registry, keys)
    h = cast.headers
    programme = _programme(client, h["admin"], AMOUNT * FITS)
    applications = []
    for _ in range(CLERKS):
        asset = registry.asset([cast.owner])
        pledge = registry.pledge(cast.owner, cast.bank, [asset["id"]])
        body = {"programme_id": programme["id"], "pledge_ids": [pledge["id"]], "claim": OWED}
        filed = client.post(f"{API}/support-applications", json=body, headers=h["bank"])
        assert filed.status_code == 201, filed.get_json()
        assert Decimal(filed.get_json()["computed_amount"]) == AMOUNT
        applications.append(filed.get_json()["id"])

    calls = [
        ("post", f"{API}/support-applications/{i}/approve", {}, keys.header("clerk"))
        for i in applications
    ]
    answers = _in_parallel(app, calls)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * FITS + [409] * (CLERKS - FITS), answers
    assert {body["code"] for status, body in answers if status == 409} == {"budget-exhausted"}
    with database(app).sessions() as session:
        row = session.get(SupportProgramme, programme["id"])
        approved = session.execute(
            select(func.count(), func.sum(SupportApplication.approved_amount)).where(
                SupportApplication.status == "approved"
            )
        ).one()
        undecided = session.execute(
            select(func.count()).where(
                SupportApplication.status == "submitted",
                SupportApplication.approved_amount.is_(None),
                SupportApplication.decided_at.is_(None),
            )
        ).scalar_one()
    assert row.reserved == row.budget == AMOUNT * FITS
    assert approved[0] == FITS and approved[1] == row.reserved
    assert undecided == CLERKS - FITS  # the refused approvals left nothing behind
    assert event_types(app).count("support.application_approved") == FITS
    report = client.get(f"{API}/support-programmes/{programme['id']}/report", headers=h["clerk"])
    assert report.get_json()["remaining"] == "0.00"
    assert audit(app).ok


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_applications_for_one_loan_at_once(app, client, registry, keys):
    cast = scene(registry, keys)
    h = cast.headers
    programme = _programme(client, h["admin"], Decimal("1000.00"))
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    body = {"programme_id": programme["id"], "pledge_ids": [pledge["id"]], "claim": OWED}
    answers = _in_parallel(
        app,
        [("post", f"{API}/support-applications", body, who) for who in (h["bank"], h["clerk"])],
    )
    assert sorted(status for status, _ in answers) == [201, 409]
    assert [b["code"] for s, b in answers if s == 409] == ["duplicate-application"]
    with database(app).sessions() as session:
        assert session.execute(select(func.count()).select_from(SupportApplication)).scalar() == 1


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_the_database_holds_a_loan_to_one_live_claim(app, client, registry, keys):
    """The partial unique index itself (what decides when two filings overlap)."""
    cast = scene(registry, keys)
    programme = _programme(client, cast.headers["admin"], Decimal("1000.00"))
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    body = {"programme_id": programme["id"], "pledge_ids": [pledge["id"]], "claim": OWED}
    filed = client.post(f"{API}/support-applications", json=body, headers=cast.headers["bank"])
    application_id = filed.get_json()["id"]
    with database(app).sessions() as session:
        session.add(
            SupportClaim(
                application_id=application_id,
                pledge_id=pledge["id"],
                series_id=programme["series_id"],
                active=False,
            )
        )
        with pytest.raises(IntegrityError):  # same primary key: the same application
            session.flush()
        session.rollback()
        clash = SupportApplication(
            **{
                c: getattr(session.get(SupportApplication, application_id), c)
                for c in SupportApplication.__table__.columns.keys()  # noqa: SIM118
                if c != "id"
            }
        )
        session.add(clash)
        session.flush()
        session.add(
            SupportClaim(
                application_id=clash.id,
                pledge_id=pledge["id"],
                series_id=programme["series_id"],
                active=True,
            )
        )
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
