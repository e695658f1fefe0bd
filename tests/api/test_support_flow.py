"""Support programmes over the API: programme, SME attribute, application with the service's
own computation, approval, payment, report; default and disposal with risk compensation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.registry_helpers import assert_problem, event_types, scene

API = "/api/v1"


@pytest.fixture
def cast(registry, keys):
    s = scene(registry, keys)
    return s


def programme(client, admin, **overrides) -> dict:
    year = date.today().year
    body = {
        "name": "知识产权质押贷款贴息",
        "kind": "interest_subsidy",
        "period_start": f"{year}-01-01",
        "period_end": f"{year}-12-31",
        "rate_bp": 150,
        "cap_per_loan": "300000.00",
        "cap_per_firm_year": "500000.00",
        "budget": "1000000.00",
        "sme_only": True,
    }
    body.update(overrides)
    response = client.post(f"{API}/support-programmes", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def mark_sme(client, clerk, party_id: int, sme: bool = True) -> dict:
    response = client.patch(
        f"{API}/parties/{party_id}",
        json={"sme": sme, "sme_source": "中小企业划型申报表 2026"},
        headers=clerk,
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def expected_interest(principal: str, rate_bp: int, days: int) -> Decimal:
    exact = Decimal(principal) * rate_bp * days / Decimal(10_000 * 365)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def days_in_force(pledge: dict, period_end: str) -> int:
    """Days from the China date of registration (after 16:00 UTC that is the next day)."""
    moment = datetime.fromisoformat(pledge["registered_at"])
    registered = moment.astimezone(ZoneInfo("Asia/Shanghai")).date()
    return (date.fromisoformat(period_end) - registered).days + 1


#: An interest claim's outstanding principal: less than the pledges' secured 5000000.00.
OUTSTANDING = "3000000.00"
OWED = {"outstanding_principal": OUTSTANDING}


def apply(client, headers, programme_id, pledge_ids, claim=None, status=201) -> dict:
    body = {"programme_id": programme_id, "pledge_ids": pledge_ids, "claim": claim or OWED}
    response = client.post(f"{API}/support-applications", json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def read(client, headers, application_id: int) -> dict:
    response = client.get(f"{API}/support-applications/{application_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_interest_subsidy_from_programme_to_payment_and_report(client, registry, cast):
    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(client, h["admin"])
    assert prog["version"] == 1
    application = apply(client, h["bank"], prog["id"], [pledge["id"]])
    days = days_in_force(pledge, prog["period_end"])
    assert Decimal(OUTSTANDING) < Decimal(pledge["secured_amount"])
    expected = expected_interest(OUTSTANDING, 150, days)  # on what is owed, not the maximum
    assert application["status"] == "submitted"
    assert Decimal(application["computed_amount"]) == expected
    assert application["working"][-1]["step"] == "result"
    assert f"{days} days" in application["working"][0]["detail"]

    approve = client.post(
        f"{API}/support-applications/{application['id']}/approve", json={}, headers=h["clerk"]
    )
    assert approve.status_code == 200, approve.get_json()
    assert approve.get_json()["status"] == "approved"
    assert Decimal(approve.get_json()["approved_amount"]) == expected

    paid = client.post(
        f"{API}/support-applications/{application['id']}/pay",
        json={"reference": "CZ-0001"},
        headers=h["clerk"],
    )
    assert paid.status_code == 200 and paid.get_json()["status"] == "paid"

    report = client.get(f"{API}/support-programmes/{prog['id']}/report", headers=h["auditor"])
    body = report.get_json()
    assert report.status_code == 200, body
    assert Decimal(body["reserved"]) == expected == Decimal(body["paid"])
    assert Decimal(body["remaining"]) + Decimal(body["reserved"]) == Decimal(body["budget"])
    assert [g["party_id"] for g in body["by_bank"]] == [cast.bank]
    assert [g["party_id"] for g in body["by_firm"]] == [cast.owner]
    assert Decimal(body["by_firm"][0]["paid"]) == expected
    csv = client.get(f"{API}/support-programmes/{prog['id']}/report.csv", headers=h["clerk"])
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert str(expected) in csv.get_data(as_text=True)
    types = event_types(client.application)
    for step in ("programme_created", "application_submitted", "application_approved"):
        assert f"support.{step}" in types
    assert "support.application_paid" in types and "party.sme_recorded" in types


def test_eligibility_refusals_name_the_reason(client, registry, cast):
    h = cast.headers
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(client, h["admin"])
    refused = client.post(
        f"{API}/support-applications",
        json={"programme_id": prog["id"], "pledge_ids": [pledge["id"]], "claim": OWED},
        headers=h["bank"],
    )
    body = assert_problem(refused, 409, "support-ineligible")
    assert [g["code"] for g in body["grounds"]] == ["not-sme"]
    mark_sme(client, h["clerk"], cast.owner)
    last_year = date.today().year - 1
    old = programme(
        client, h["admin"], period_start=f"{last_year}-01-01", period_end=f"{last_year}-12-31"
    )
    refused = client.post(
        f"{API}/support-applications",
        json={"programme_id": old["id"], "pledge_ids": [pledge["id"]], "claim": OWED},
        headers=h["bank"],
    )
    body = assert_problem(refused, 409, "support-ineligible")
    assert {g["code"] for g in body["grounds"]} == {"pledge-not-in-force"}


def test_a_bank_that_is_not_the_pledgee_gets_404(client, registry, cast):
    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(client, h["admin"])
    response = client.post(
        f"{API}/support-applications",
        json={"programme_id": prog["id"], "pledge_ids": [pledge["id"]]},
        headers=h["other_bank"],
    )
    assert_problem(response, 404, "not-found")


def test_a_second_application_for_the_same_loan_is_refused(client, registry, cast):
    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(client, h["admin"])
    first = apply(client, h["bank"], prog["id"], [pledge["id"]])
    again = client.post(
        f"{API}/support-applications",
        json={"programme_id": prog["id"], "pledge_ids": [pledge["id"]], "claim": OWED},
        headers=h["clerk"],
    )
    assert_problem(again, 409, "duplicate-application")
    refuse = client.post(
        f"{API}/support-applications/{first['id']}/refuse",
        json={"reasons": ["documents-missing"]},
        headers=h["clerk"],
    )
    assert refuse.status_code == 200 and refuse.get_json()["refusal_reasons"] == [
        "documents-missing"
    ]
    apply(client, h["bank"], prog["id"], [pledge["id"]])  # a refused claim frees the loan


def test_approval_beyond_the_budget_is_409_and_changes_nothing(client, registry, cast):
    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    mark_sme(client, h["clerk"], cast.other_owner)
    one = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    two = registry.pledge(cast.other_owner, cast.bank, [cast.other_asset["id"]])
    prog = programme(client, h["admin"], rate_bp=10_000, budget="100.00", cap_per_loan="80.00")
    first = apply(client, h["bank"], prog["id"], [one["id"]])
    second = apply(client, h["bank"], prog["id"], [two["id"]])
    assert first["computed_amount"] == second["computed_amount"] == "80.00"
    ok = client.post(
        f"{API}/support-applications/{first['id']}/approve", json={}, headers=h["clerk"]
    )
    assert ok.status_code == 200
    over = client.post(
        f"{API}/support-applications/{second['id']}/approve", json={}, headers=h["clerk"]
    )
    assert_problem(over, 409, "budget-exhausted")
    lower = client.post(
        f"{API}/support-applications/{second['id']}/approve",
        json={"amount": "20.00", "reason": "预算余额"},
        headers=h["clerk"],
    )
    assert lower.status_code == 200 and lower.get_json()["approved_amount"] == "20.00"
    report = client.get(f"{API}/support-programmes/{prog['id']}/report", headers=h["clerk"])
    assert report.get_json()["remaining"] == "0.00"


def test_a_change_after_applications_makes_a_new_version(client, registry, cast):
    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    mark_sme(client, h["clerk"], cast.other_owner)
    one = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    two = registry.pledge(cast.other_owner, cast.bank, [cast.other_asset["id"]])
    prog = programme(client, h["admin"])
    same = client.patch(
        f"{API}/support-programmes/{prog['id']}", json={"rate_bp": 200}, headers=h["admin"]
    )
    assert same.get_json()["version"] == 1 and same.get_json()["id"] == prog["id"]
    decided = apply(client, h["bank"], prog["id"], [one["id"]])
    client.post(f"{API}/support-applications/{decided['id']}/approve", json={}, headers=h["clerk"])
    undecided = apply(client, h["bank"], prog["id"], [two["id"]])
    changed = client.patch(
        f"{API}/support-programmes/{prog['id']}", json={"rate_bp": 100}, headers=h["admin"]
    )
    new = changed.get_json()
    assert changed.status_code == 200 and new["version"] == 2 and new["id"] != prog["id"]
    assert new["reserved"] == decided["computed_amount"]
    kept = read(client, h["clerk"], decided["id"])
    moved = read(client, h["clerk"], undecided["id"])
    assert kept["programme_id"] == prog["id"]
    assert moved["programme_id"] == new["id"]
    assert Decimal(moved["computed_amount"]) == expected_interest(
        OUTSTANDING, 100, days_in_force(two, prog["period_end"])
    )
    stale = client.patch(
        f"{API}/support-programmes/{prog['id']}", json={"rate_bp": 90}, headers=h["admin"]
    )
    assert_problem(stale, 409, "programme-superseded")


def test_default_disposal_with_a_shortfall_and_risk_compensation(client, registry, cast):
    h = cast.headers
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(
        client,
        h["admin"],
        kind="risk_compensation",
        rate_bp=None,
        share="30.00",
        sme_only=False,
        cap_per_loan="150000.00",
    )
    early = client.post(
        f"{API}/support-applications",
        json={"programme_id": prog["id"], "pledge_ids": [pledge["id"]]},
        headers=h["bank"],
    )
    body = assert_problem(early, 409, "support-ineligible")
    assert [g["code"] for g in body["grounds"]] == ["no-realized-disposal"]

    pid = pledge["id"]
    default = {"principal": "1000000.00", "interest": "50000.00", "penalties": "10000.00"}
    assert (
        client.post(f"{API}/pledges/{pid}/default", json=default, headers=h["bank"]).status_code
        == 200
    )
    disposal = client.post(
        f"{API}/pledges/{pid}/disposals",
        json={
            "method": "auction",
            "reserve_price": "500000.00",
            "costs": "20000.00",
            "announcement_days": 0,
        },
        headers=h["clerk"],
    ).get_json()
    buyer = registry.party("买方有限公司")
    bid = {"bidder_id": buyer, "amount": "700000.00"}
    assert (
        client.post(
            f"{API}/disposals/{disposal['id']}/bids", json=bid, headers=h["clerk"]
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"{API}/disposals/{disposal['id']}/close", json={}, headers=h["clerk"]
        ).status_code
        == 200
    )
    statement = client.get(
        f"{API}/disposals/{disposal['id']}/statement", headers=h["bank"]
    ).get_json()
    paid_principal = sum(
        Decimal(line["amount"]) for line in statement["lines"] if line["kind"] == "principal"
    )
    unpaid = Decimal(default["principal"]) - paid_principal
    assert unpaid > 0

    application = apply(client, h["bank"], prog["id"], [pid])
    expected = min(unpaid * Decimal("0.30"), Decimal("150000.00"))
    assert Decimal(application["computed_amount"]) == expected.quantize(Decimal("0.01"))
    assert application["working"][0]["step"] == "loss_share"
    approve = client.post(
        f"{API}/support-applications/{application['id']}/approve", json={}, headers=h["clerk"]
    )
    assert approve.status_code == 200


def test_a_firms_yearly_cap_holds_across_its_loans_and_banks(client, registry, cast):
    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    one = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    second_asset = registry.asset([cast.owner])
    two = registry.pledge(cast.owner, cast.other_bank, [second_asset["id"]])
    prog = programme(
        client, h["admin"], rate_bp=10_000, cap_per_loan="70.00", cap_per_firm_year="100.00"
    )
    first = apply(client, h["bank"], prog["id"], [one["id"]])
    second = apply(client, h["other_bank"], prog["id"], [two["id"]])
    assert first["computed_amount"] == "70.00"
    assert second["computed_amount"] == "30.00"  # what the firm's cap leaves
    assert second["working"][-2]["step"] == "cap_per_firm_year"
    for application in (first, second):
        answer = client.post(
            f"{API}/support-applications/{application['id']}/approve", json={}, headers=h["clerk"]
        )
        assert answer.status_code == 200
    report = client.get(f"{API}/support-programmes/{prog['id']}/report", headers=h["clerk"])
    assert report.get_json()["by_firm"][0]["approved"] == "100.00"
    assert len(report.get_json()["by_bank"]) == 2


@pytest.mark.parametrize(
    ("who", "status"),
    [("none", 401), ("bank", 403), ("clerk", 403), ("auditor", 403), ("owner", 403)],
)
def test_only_admins_define_programmes(client, cast, who, status):
    year = date.today().year
    body = {
        "name": "x",
        "kind": "guarantee_fee",
        "period_start": f"{year}-01-01",
        "period_end": f"{year}-12-31",
        "share": "50.00",
        "cap_per_loan": "1.00",
        "cap_per_firm_year": "1.00",
        "budget": "1.00",
    }
    response = client.post(f"{API}/support-programmes", json=body, headers=cast.headers[who])
    assert_problem(response, status)


def test_roles_of_decisions_reports_and_reads(client, registry, cast):
    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(client, h["admin"])
    application = apply(client, h["bank"], prog["id"], [pledge["id"]])
    approve = f"{API}/support-applications/{application['id']}/approve"
    for who in ("bank", "owner", "auditor"):
        assert_problem(client.post(approve, json={}, headers=h[who]), 403)
    report = f"{API}/support-programmes/{prog['id']}/report"
    for who in ("bank", "owner"):
        assert_problem(client.get(report, headers=h[who]), 403)
    assert client.get(report, headers=h["admin"]).status_code == 200
    assert read(client, h["owner"], application["id"])["firm_id"] == cast.owner
    hidden = client.get(f"{API}/support-applications/{application['id']}", headers=h["other_bank"])
    assert_problem(hidden, 404)
    listed = client.get(f"{API}/support-applications", headers=h["other_owner"]).get_json()
    assert listed["items"] == []
    sme = client.patch(
        f"{API}/parties/{cast.owner}", json={"sme": False, "sme_source": "x"}, headers=h["bank"]
    )
    assert_problem(sme, 403)
    fee_by_owner = client.post(
        f"{API}/support-applications",
        json={"programme_id": prog["id"], "pledge_ids": [pledge["id"]]},
        headers=h["owner"],
    )
    assert_problem(fee_by_owner, 403)  # an interest subsidy is the bank's to claim


def test_an_owner_applies_for_its_guarantee_fee(client, registry, cast):
    h = cast.headers
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(
        client, h["admin"], kind="guarantee_fee", rate_bp=None, share="50.00", sme_only=False
    )
    missing = client.post(
        f"{API}/support-applications",
        json={"programme_id": prog["id"], "pledge_ids": [pledge["id"]]},
        headers=h["owner"],
    )
    assert_problem(missing, 422, "validation-failed")
    application = apply(client, h["owner"], prog["id"], [pledge["id"]], {"fee_amount": "20001.01"})
    assert application["computed_amount"] == "10000.51"  # 10000.505, half-up
    assert application["applicant_id"] == cast.owner
    other = client.post(
        f"{API}/support-applications",
        json={
            "programme_id": prog["id"],
            "pledge_ids": [pledge["id"]],
            "claim": {"fee_amount": "1.00"},
        },
        headers=h["other_owner"],
    )
    assert_problem(other, 404)


def test_amounts_stay_out_of_the_public_log_and_filing_is_idempotent(client, registry, cast):
    from sqlalchemy import select

    from ipx.db_ext import database
    from ipx.ledger.tables import LedgerEntry

    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(client, h["admin"])
    body = {"programme_id": prog["id"], "pledge_ids": [pledge["id"]], "claim": OWED}
    key = {**h["bank"], "Idempotency-Key": "support-1"}
    first = client.post(f"{API}/support-applications", json=body, headers=key)
    again = client.post(f"{API}/support-applications", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    amount = first.get_json()["computed_amount"]
    with database(client.application).sessions() as session:
        rows = session.execute(
            select(LedgerEntry.leaf, LedgerEntry.details).where(LedgerEntry.type.like("support.%"))
        ).all()
    assert rows and all(amount not in leaf and "support" not in leaf for leaf, _ in rows)
    assert any(amount in (details or "") for _, details in rows)  # sealed beside the leaf


def test_the_sme_attribute_needs_its_source(client, cast):
    response = client.patch(
        f"{API}/parties/{cast.owner}", json={"sme": True}, headers=cast.headers["clerk"]
    )
    assert_problem(response, 422, "validation-failed")
    recorded = mark_sme(client, cast.headers["clerk"], cast.owner, sme=False)
    assert recorded["sme"] is False and recorded["sme_source"]


def test_every_support_record_matches_the_state_the_log_holds_last(client, registry, cast):
    """What ``ipx verify`` can check once it is given the support states."""
    from ipx.db_ext import database
    from ipx.ledger.audit import audit_log
    from ipx.ledger.signing import app_signer
    from ipx.support.events import STATE_KINDS, current_state_digests
    from tests.conftest import registry_key

    test_a_change_after_applications_makes_a_new_version(client, registry, cast)
    app = client.application
    with database(app).sessions() as session:
        states = list(current_state_digests(session, registry_key(app)))
        report = audit_log(
            session,
            app_signer(app).public_key,
            registry_states=states,
            state_kinds=STATE_KINDS,
        )
    assert len(states) == 4  # two versions, two applications
    assert report.ok, report.problems


def test_an_interest_claim_gives_its_outstanding_principal_capped_at_the_secured_amount(
    client, registry, cast
):
    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    second_asset = registry.asset([cast.owner])
    other = registry.pledge(cast.owner, cast.bank, [second_asset["id"]])
    prog = programme(client, h["admin"])
    missing = client.post(
        f"{API}/support-applications",
        json={"programme_id": prog["id"], "pledge_ids": [pledge["id"]], "claim": {}},
        headers=h["bank"],
    )
    body = assert_problem(missing, 422, "validation-failed")
    assert "outstanding_principal" in body["errors"]["claim"]
    two = client.post(
        f"{API}/support-applications",
        json={"programme_id": prog["id"], "pledge_ids": [pledge["id"], other["id"]], "claim": OWED},
        headers=h["bank"],
    )
    assert "pledge_ids" in assert_problem(two, 422, "validation-failed")["errors"]
    over = Decimal(pledge["secured_amount"]) * 2
    application = apply(
        client, h["bank"], prog["id"], [pledge["id"]], {"outstanding_principal": f"{over:.2f}"}
    )
    days = days_in_force(pledge, prog["period_end"])
    expected = expected_interest(pledge["secured_amount"], 150, days)
    assert Decimal(application["computed_amount"]) == expected
    capped = [line for line in application["working"] if line["step"] == "cap_secured_amount"]
    assert len(capped) == 1 and Decimal(capped[0]["amount"]) == Decimal(pledge["secured_amount"])
    assert application["claim"]["outstanding_principal"] == f"{over:.2f}"


def test_days_in_force_start_on_the_china_date_of_registration(client, registry, cast):
    """Registered at 00:30 China time (16:30 UTC the day before): in force from the China day."""
    from sqlalchemy import update

    from ipx.db_ext import database
    from ipx.registry.orm import Pledge

    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    year = date.today().year
    moments = {
        datetime(year, 3, 1, 16, 30, tzinfo=UTC): date(year, 3, 2),  # 00:30 on 2 March
        datetime(year, 3, 1, 15, 59, tzinfo=UTC): date(year, 3, 1),  # 23:59 on 1 March
    }
    for moment, china_day in moments.items():
        with database(client.application).sessions() as session:
            session.execute(
                update(Pledge).where(Pledge.id == pledge["id"]).values(registered_at=moment)
            )
            session.commit()
        prog = programme(client, h["admin"], name=f"贴息 {moment:%H%M}")
        application = apply(client, h["bank"], prog["id"], [pledge["id"]])
        days = (date(year, 12, 31) - china_day).days + 1
        assert f"{days} days in force" in application["working"][0]["detail"]
        assert Decimal(application["computed_amount"]) == expected_interest(OUTSTANDING, 150, days)


def test_a_programme_period_lies_within_one_calendar_year(client, registry, cast):
    h = cast.headers
    year = date.today().year
    body = {
        "name": "跨年",
        "kind": "interest_subsidy",
        "period_start": f"{year}-07-01",
        "period_end": f"{year + 1}-06-30",
        "rate_bp": 150,
        "cap_per_loan": "1.00",
        "cap_per_firm_year": "1.00",
        "budget": "1.00",
    }
    response = client.post(f"{API}/support-programmes", json=body, headers=h["admin"])
    assert list(assert_problem(response, 422, "validation-failed")["errors"]) == ["period_end"]
    mark_sme(client, h["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(client, h["admin"])
    apply(client, h["bank"], prog["id"], [pledge["id"]])
    moved = client.patch(
        f"{API}/support-programmes/{prog['id']}",
        json={"period_start": f"{year + 1}-01-01", "period_end": f"{year + 1}-12-31"},
        headers=h["admin"],
    )
    assert "period_start" in assert_problem(moved, 422, "validation-failed")["errors"]


@pytest.mark.parametrize("order", ["filed", "reversed"])
def test_recomputing_a_firms_undecided_applications_is_first_filed_first_served(
    client, registry, cast, monkeypatch, order
):
    """The firm's cap is shared in id order whatever order the applications are read in; the
    working shows each bank only the room left under the cap, not what the other bank's
    application holds."""
    from ipx.support.repositories import SupportRecords

    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    one = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    two = registry.pledge(cast.owner, cast.other_bank, [registry.asset([cast.owner])["id"]])
    prog = programme(
        client, h["admin"], rate_bp=10_000, cap_per_loan="70.00", cap_per_firm_year="100.00"
    )
    paid = {**OWED, "interest_paid": "60.00"}
    first = apply(client, h["bank"], prog["id"], [one["id"]], paid)
    second = apply(client, h["other_bank"], prog["id"], [two["id"]])
    assert (first["computed_amount"], second["computed_amount"]) == ("60.00", "40.00")
    shown = " ".join(line["detail"] for line in second["working"])
    assert "40.00 left" in shown and "60.00" not in shown  # not the other bank's 60.00
    if order == "reversed":
        submitted_of = SupportRecords.submitted_of
        monkeypatch.setattr(
            SupportRecords, "submitted_of", lambda self, pid: submitted_of(self, pid)[::-1]
        )
    changed = client.patch(
        f"{API}/support-programmes/{prog['id']}",
        json={"cap_per_firm_year": "90.00"},
        headers=h["admin"],
    )
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    again = [read(client, h["clerk"], a["id"]) for a in (first, second)]
    assert [a["computed_amount"] for a in again] == ["60.00", "30.00"]
    room = [line for line in again[1]["working"] if line["step"] == "cap_per_firm_year"]
    assert len(room) == 1 and "30.00 left" in room[0]["detail"]


def test_a_first_loan_subsidy_with_applications_keeps_paying_a_rate(client, registry, cast):
    """Its undecided claims give an outstanding principal, not a fee: no switch to a share."""
    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(client, h["admin"], kind="first_loan", rate_bp=100)
    application = apply(client, h["bank"], prog["id"], [pledge["id"]])
    days = days_in_force(pledge, prog["period_end"])
    assert Decimal(application["computed_amount"]) == expected_interest(OUTSTANDING, 100, days)
    switch = client.patch(
        f"{API}/support-programmes/{prog['id']}",
        json={"rate_bp": None, "share": "50.00"},
        headers=h["admin"],
    )
    assert "rate_bp" in assert_problem(switch, 422, "validation-failed")["errors"]
