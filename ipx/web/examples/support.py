"""Support programmes: a 2026 interest subsidy on IP pledge loans, one bank's application for
pledge 1 (registered on 1 December), its approval and payment; the SME attribute of party 1."""

from __future__ import annotations

from ipx.web.examples.entries import Link, Operation, by_id

PAGE = {"limit": 50}
PROGRAMME_IN = {
    "name": "2026年知识产权质押贷款贴息",
    "kind": "interest_subsidy",
    "period_start": "2026-01-01",
    "period_end": "2026-12-31",
    "rate_bp": 150,
    "cap_per_loan": "300000.00",
    "cap_per_firm_year": "500000.00",
    "budget": "20000000.00",
    "currency": "CNY",
    "sme_only": True,
    "first_loan_only": False,
    "asset_kinds": ["invention", "utility_model"],
    "applications_open": "2026-01-01",
    "applications_close": "2027-03-31",
}
PROGRAMME = {
    **PROGRAMME_IN,
    "share": None,
    "id": 1,
    "series_id": 1,
    "version": 1,
    "superseded": False,
    "reserved": "0.00",
    "paid": "0.00",
    "created_at": "2026-01-05T02:00:00Z",
    "updated_at": "2026-01-05T02:00:00Z",
}
WORKING = [
    {
        "step": "interest",
        "detail": "pledge 1: 1000000.00 outstanding x 150 bp x 31 days in force from "
        "2026-01-01 to 2026-12-31 / 365",
        "amount": "1273.972603",
        "pledge_id": 1,
    },
    {
        "step": "result",
        "detail": "exact arithmetic, rounded half-up to the cent once, at the end",
        "amount": "1273.97",
    },
]
CLAIM = {
    "interest_paid": "4500.00",
    "outstanding_principal": "1000000.00",
    "period_start": "2026-01-01",
    "period_end": "2026-12-31",
}
APPLICATION_IN = {
    "programme_id": 1,
    "pledge_ids": [1],
    "claim": CLAIM,
    "document_digests": ["9f2c4d1e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"],
}
APPLICATION = {
    "id": 1,
    "programme_id": 1,
    "status": "submitted",
    "applicant_id": 2,
    "bank_id": 2,
    "firm_id": 1,
    "pledge_ids": [1],
    "claim": CLAIM,
    "document_digests": APPLICATION_IN["document_digests"],
    "computed_amount": "1273.97",
    "working": WORKING,
    "currency": "CNY",
    "approved_amount": None,
    "decision_reason": None,
    "refusal_reasons": None,
    "payment_reference": None,
    "created_at": "2027-01-10T02:00:00Z",
    "decided_at": None,
    "paid_at": None,
}
APPROVED = {
    **APPLICATION,
    "status": "approved",
    "approved_amount": "1273.97",
    "decided_at": "2027-01-20T02:00:00Z",
}
PAID = {
    **APPROVED,
    "status": "paid",
    "payment_reference": "CZ-2027-000123",
    "paid_at": "2027-02-01T02:00:00Z",
}
REFUSED = {
    **APPLICATION,
    "status": "refused",
    "refusal_reasons": ["documents-missing"],
    "decision_reason": "付息凭证不完整。",
    "decided_at": "2027-01-20T02:00:00Z",
}
REPORT = {
    "programme_id": 1,
    "series_id": 1,
    "version": 1,
    "name": PROGRAMME_IN["name"],
    "kind": "interest_subsidy",
    "currency": "CNY",
    "period_start": "2026-01-01",
    "period_end": "2026-12-31",
    "budget": "20000000.00",
    "reserved": "1273.97",
    "paid": "1273.97",
    "remaining": "19998726.03",
    "applications": {"total": 1, "submitted": 0, "approved": 0, "refused": 0, "paid": 1},
    "by_bank": [
        {
            "party_id": 2,
            "name": "浦江商业银行",
            "applications": 1,
            "approved": "1273.97",
            "paid": "1273.97",
        }
    ],
    "by_firm": [
        {
            "party_id": 1,
            "name": "上海新材科技有限公司",
            "applications": 1,
            "approved": "1273.97",
            "paid": "1273.97",
        }
    ],
    "used_over_time": [{"date": "2027-01-20", "reserved": "1273.97"}],
}
INELIGIBLE = {
    "type": "https://ipx.example/problems/support-ineligible",
    "title": "The request conflicts with the current state",
    "status": 409,
    "detail": "The application is not eligible: not-sme.",
    "code": "support-ineligible",
    "grounds": [
        {"code": "not-sme", "message": "The firm is not recorded as a small or medium enterprise."}
    ],
}
BUDGET_EXHAUSTED = {
    "type": "https://ipx.example/problems/budget-exhausted",
    "title": "The request conflicts with the current state",
    "status": 409,
    "detail": "The programme's remaining budget does not cover this approval.",
    "code": "budget-exhausted",
}


def _application_links() -> dict[str, Link]:
    ids = by_id("application_id")
    return {
        "GetApplication": Link("getSupportApplication", ids),
        "Approve": Link("approveSupportApplication", ids),
        "Refuse": Link("refuseSupportApplication", ids),
    }


def _programme_links() -> dict[str, Link]:
    ids = by_id("programme_id")
    return {
        "GetProgramme": Link("getSupportProgramme", ids),
        "GetReport": Link("getSupportReport", ids),
    }


OPERATIONS: dict[str, Operation] = {
    "PATCH /parties/{party_id}": Operation(
        "recordPartySme",
        "Record whether the party is a small or medium enterprise (SME), and the source the "
        "clerk read it from; support programmes limited to SMEs decide from it. Logged.",
        parameters={"party_id": 1},
        request={"sme": True, "sme_source": "工信部中小企业划型（2026年度申报表）"},
        response={
            "id": 1,
            "kind": "organization",
            "name": "上海新材科技有限公司",
            "credit_code": "91310115MA1XK7Q29Q",
            "created_at": "2026-12-01T01:30:00Z",
            "sme": True,
            "sme_source": "工信部中小企业划型（2026年度申报表）",
        },
    ),
    "GET /support-programmes": Operation(
        "listSupportProgrammes",
        "Programmes in id order, every version (a superseded version says so).",
        parameters=PAGE,
        response={"items": [PROGRAMME], "next_cursor": None},
    ),
    "POST /support-programmes": Operation(
        "createSupportProgramme",
        "Define a programme for a period: its kind, the rate (`rate_bp` of the outstanding "
        "principal a year) or the `share` (a percentage of the fee or of the loss), the caps "
        "per loan and per firm, the budget and the eligibility rules.",
        request=PROGRAMME_IN,
        response=PROGRAMME,
        links=_programme_links(),
        rules={
            "period_end": "not before period_start, in the same calendar year",
            "applications_close": "not before applications_open",
            "rate_bp": "required for interest_subsidy; first_loan takes rate_bp or share",
            "share": "required for fee subsidies and risk compensation; at most 100",
        },
    ),
    "GET /support-programmes/{programme_id}": Operation(
        "getSupportProgramme",
        "One version of a programme, with its budget's reserved and paid amounts.",
        parameters={"programme_id": 1},
        response=PROGRAMME,
        links=_programme_links(),
    ),
    "PATCH /support-programmes/{programme_id}": Operation(
        "changeSupportProgramme",
        "Change a programme's terms. Before any application it is edited in place; after, "
        "the change is a new version (`version` + 1, a new id): decided applications keep "
        "the version they were decided under, undecided ones move to the new version and "
        "are computed again.",
        parameters={"programme_id": 1},
        request={"budget": "25000000.00"},
        response={**PROGRAMME, "budget": "25000000.00"},
        links=_programme_links(),
        rules={
            "budget": "not less than what approvals already reserve",
            "period_end": "not before period_start, in the same calendar year",
            "applications_close": "not before applications_open",
            "rate_bp": "required for interest_subsidy; first_loan takes rate_bp or share",
            "share": "required for fee subsidies and risk compensation; at most 100",
        },
    ),
    "GET /support-programmes/{programme_id}/report": Operation(
        "getSupportReport",
        "The programme's budget, what approvals reserve, what was paid and what remains "
        "(reserved + remaining = budget), applications by status, by bank and by firm, and "
        "the budget used over time.",
        parameters={"programme_id": 1},
        response=REPORT,
    ),
    "GET /support-programmes/{programme_id}/report.csv": Operation(
        "getSupportReportCsv",
        "The report as CSV (UTF-8 with a byte-order mark): a totals row, then a row per "
        "bank and per firm.",
        parameters={"programme_id": 1},
        response="group,party_id,name,applications,approved,paid\r\n"
        "total,,2026年知识产权质押贷款贴息,1,1273.97,1273.97\r\n",
    ),
    "GET /support-applications": Operation(
        "listSupportApplications",
        "Applications in id order, filtered by programme (any version) or status; banks and "
        "owners see those where they are the bank or the firm.",
        parameters={**PAGE, "programme_id": 1, "status": "submitted"},
        response={"items": [APPLICATION], "next_cursor": None},
    ),
    "POST /support-applications": Operation(
        "submitSupportApplication",
        "Apply for support for loans (a bank, as their pledgee) or fees (an owner, as the "
        "pledgor). The service decides eligibility from the registry and computes the "
        "amount itself, line by line (`working`): the claimed outstanding principal (at most "
        "the pledge's secured amount) x rate x days the pledge was in force within the period "
        "(China's calendar days) / 365, capped per loan, by the interest paid and by the room "
        "left under the firm's yearly cap; "
        "rounded half-up to the cent once, at the end. A loan is claimed once per programme.",
        request=APPLICATION_IN,
        response=APPLICATION,
        links=_application_links(),
        rules={
            "pledge_ids": "registered pledges of one pledgor and one pledgee; one for a fee "
            "or an interest claim",
            "claim": "fee_amount for a fee subsidy; outstanding_principal for an interest "
            "claim (capped at the pledge's secured amount); a period ending after it starts",
        },
        errors={409: INELIGIBLE},
    ),
    "GET /support-applications/{application_id}": Operation(
        "getSupportApplication",
        "An application with its computed amount, its working and its decision.",
        parameters={"application_id": 1},
        response=APPLICATION,
        links=_application_links(),
    ),
    "POST /support-applications/{application_id}/approve": Operation(
        "approveSupportApplication",
        "Approve the computed amount, or a lower one with a reason: the amount is reserved "
        "from the programme's budget (409 `budget-exhausted` when less is left).",
        parameters={"application_id": 1},
        request={},
        response=APPROVED,
        links={"Pay": Link("paySupportApplication", by_id("application_id"))},
        rules={"amount": "at most the computed amount", "reason": "required for a lower amount"},
        errors={409: BUDGET_EXHAUSTED},
    ),
    "POST /support-applications/{application_id}/refuse": Operation(
        "refuseSupportApplication",
        "Refuse with coded reasons; the loans may be claimed again.",
        parameters={"application_id": 1},
        request={"reasons": ["documents-missing"], "note": "付息凭证不完整。"},
        response=REFUSED,
    ),
    "POST /support-applications/{application_id}/pay": Operation(
        "paySupportApplication",
        "Record that the approved amount was paid, with the payment's reference.",
        parameters={"application_id": 1},
        request={"reference": "CZ-2027-000123"},
        response=PAID,
    ),
}
