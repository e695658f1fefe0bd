"""Joint pledge applications: filing, examination against R01-R12, refusal, correction loop."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.registry_helpers import assert_problem, event_types, row_counts, scene

REGISTRATION_NUMBER = re.compile(r"^IPX-P-(\d{4})-\d{6}$")
CONTRACT_FIELDS = {
    "id",
    "registration_number",
    "status",
    "pledgor_id",
    "pledgee_id",
    "asset_ids",
    "secured_amount",
    "currency",
    "debt_start",
    "debt_end",
    "registered_at",
}


def _app_path(application_id: int, action: str = "") -> str:
    return f"/api/v1/pledge-applications/{application_id}" + (f"/{action}" if action else "")


def test_a_clerk_files_and_registers_a_pledge(client, app, registry):
    owner, bank = registry.party(), registry.party("招商银行")
    asset = registry.asset([owner])
    application = registry.application(owner, bank, [asset["id"]], secured_amount="1250000.5")
    assert application["status"] == "submitted"
    assert application["secured_amount"] == "1250000.50"
    response = client.post(_app_path(application["id"], "register"), headers=registry.clerk)
    assert response.status_code == 201, response.get_json()
    pledge = response.get_json()
    assert pledge.keys() >= CONTRACT_FIELDS
    match = REGISTRATION_NUMBER.match(pledge["registration_number"])
    assert match and int(match.group(1)) == date.today().year
    assert pledge["status"] == "registered"
    assert (pledge["pledgor_id"], pledge["pledgee_id"]) == (owner, bank)
    assert pledge["asset_ids"] == [asset["id"]]
    assert (pledge["secured_amount"], pledge["currency"]) == ("1250000.50", "CNY")
    assert pledge["debt_start"] == application["debt_start"]
    assert pledge["registered_at"].endswith(("Z", "+00:00"))
    after = client.get(_app_path(application["id"]), headers=registry.clerk).get_json()
    assert after["status"] == "registered" and after["pledge_id"] == pledge["id"]
    assert event_types(app)[-1] == "pledge.registered"


def test_registration_numbers_count_up(registry):
    owner, bank = registry.party(), registry.party()
    numbers = [
        registry.pledge(owner, bank, [registry.asset([owner])["id"]])["registration_number"]
        for _ in range(3)
    ]
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]


def test_a_bank_files_as_pledgee_and_the_clerk_registers(client, registry, keys):
    s = scene(registry, keys)
    application = registry.application(s.owner, s.bank, [s.asset["id"]], headers=s.headers["bank"])
    assert application["status"] == "submitted"
    response = client.post(_app_path(application["id"], "register"), headers=registry.clerk)
    assert response.status_code == 201
    bank_view = client.get(
        f"/api/v1/pledges/{response.get_json()['id']}", headers=s.headers["bank"]
    )
    assert bank_view.status_code == 200


_serial = iter(range(700_000, 800_000))


def _with_check(number: str) -> str:
    from ipx.registry.numbers import patent_check_character

    return f"{number}.{patent_check_character(number)}"


def test_a_refusal_names_every_applicable_ground_and_changes_nothing(client, app, registry):
    today = registry.today
    owner, co_owner, stranger = registry.party(), registry.party(), registry.party()
    a = registry.asset(
        [owner, co_owner],
        kind="utility_model",
        number=_with_check(f"{today.year - 9}2{next(_serial):07d}"),
        filing_date=date(today.year - 9, 1, 10),
        fees_paid_until=(today - timedelta(days=1)).isoformat(),
    )
    client.patch(
        f"/api/v1/assets/{a['id']}", json={"invalidation_pending": True}, headers=registry.clerk
    )
    registry.post(f"/assets/{a['id']}/freezes", {"court": "法院", "order_number": "保全1号"})
    b = registry.asset([owner])
    registry.pledge(owner, registry.party(), [b["id"]])
    c = registry.asset([stranger])
    d = registry.asset([owner], status="lapsed")
    e = registry.asset([owner], status="pending", grant_date=None)
    application = registry.application(
        owner,
        987_654,
        [a["id"], b["id"], c["id"], d["id"], e["id"]],
        contract_number=None,
        forfeiture_clause=True,
        debt_end=(today + timedelta(days=3 * 365)).isoformat(),
    )
    before = row_counts(app)
    response = client.post(_app_path(application["id"], "register"), headers=registry.clerk)
    problem = assert_problem(response, 409, "registration-refused")
    grounds = problem["grounds"]
    assert {g["code"] for g in grounds} == {f"R{n:02d}" for n in range(1, 13)}
    assert all(g["message"] for g in grounds)
    per_asset = {(g["code"], g.get("asset_id")) for g in grounds}
    for code in ("R04", "R05", "R06", "R08", "R10"):
        assert (code, a["id"]) in per_asset
    assert {("R09", b["id"]), ("R01", c["id"]), ("R02", d["id"]), ("R03", e["id"])} <= per_asset
    assert row_counts(app) == before
    still = client.get(_app_path(application["id"]), headers=registry.clerk).get_json()
    assert still["status"] == "submitted"


def test_an_acknowledged_invalidation_risk_does_not_refuse(client, registry):
    owner, bank = registry.party(), registry.party()
    asset = registry.asset([owner], invalidation_pending=True)
    refused = registry.application(owner, bank, [asset["id"]])
    problem = assert_problem(
        client.post(_app_path(refused["id"], "register"), headers=registry.clerk), 409
    )
    assert [g["code"] for g in problem["grounds"]] == ["R10"]
    accepted = registry.application(
        owner, bank, [asset["id"]], acknowledged_risks=["invalidation_pending"]
    )
    assert (
        client.post(_app_path(accepted["id"], "register"), headers=registry.clerk).status_code
        == 201
    )


def test_co_owner_consent_lets_a_shared_asset_be_pledged(client, registry):
    owner, co_owner, bank = registry.party(), registry.party(), registry.party()
    asset = registry.asset([owner, co_owner])
    application = registry.application(owner, bank, [asset["id"]], co_owner_consent_ids=[co_owner])
    assert (
        client.post(_app_path(application["id"], "register"), headers=registry.clerk).status_code
        == 201
    )


def test_refuse_records_the_grounds_and_is_final(client, app, registry):
    owner, bank = registry.party(), registry.party()
    asset = registry.asset([owner])
    application = registry.application(owner, bank, [asset["id"]])
    path = _app_path(application["id"], "refuse")
    assert_problem(client.post(path, json={"grounds": ["R99"]}, headers=registry.clerk), 422)
    assert_problem(client.post(path, json={"grounds": []}, headers=registry.clerk), 422)
    response = client.post(
        path, json={"grounds": ["R05", "R07", "R05"], "note": "冻结中"}, headers=registry.clerk
    )
    assert response.status_code == 200, response.get_json()
    refused = response.get_json()
    assert refused["status"] == "refused"
    assert [g["code"] for g in refused["grounds"]] == ["R05", "R07"]
    before = row_counts(app)
    for action, body in (
        ("register", None),
        ("refuse", {"grounds": ["R05"]}),
        ("request-correction", {"note": "补正"}),
    ):
        response = client.post(
            _app_path(application["id"], action), json=body, headers=registry.clerk
        )
        assert_problem(response, 409, "invalid-transition")
    assert row_counts(app) == before


def test_correction_and_resubmission(client, app, registry, keys):
    s = scene(registry, keys)
    application = registry.application(s.owner, s.bank, [s.asset["id"]], contract_number=None)
    app_id = application["id"]
    corrected = {
        "pledgor_id": s.owner,
        "pledgee_id": s.bank,
        "asset_ids": [s.asset["id"]],
        "secured_amount": "3000000.00",
        "currency": "CNY",
        "debt_start": registry.today.isoformat(),
        "debt_end": (registry.today + timedelta(days=365)).isoformat(),
        "contract_number": "JK-2026-0099",
    }
    # Only an application returned for correction may be resubmitted.
    assert_problem(client.put(_app_path(app_id), json=corrected, headers=s.headers["bank"]), 409)
    returned = client.post(
        _app_path(app_id, "request-correction"),
        json={"note": "缺少合同编号"},
        headers=registry.clerk,
    )
    assert returned.status_code == 200
    assert returned.get_json()["status"] == "correction_requested"
    assert returned.get_json()["note"] == "缺少合同编号"
    assert_problem(
        client.post(_app_path(app_id, "register"), headers=registry.clerk),
        409,
        "invalid-transition",
    )
    # Another bank may not resubmit as this pledgee; the pledgee bank may.
    wrong = {**corrected, "pledgee_id": s.other_bank}
    assert_problem(client.put(_app_path(app_id), json=wrong, headers=s.headers["bank"]), 403)
    response = client.put(_app_path(app_id), json=corrected, headers=s.headers["bank"])
    assert response.status_code == 200, response.get_json()
    resubmitted = response.get_json()
    assert resubmitted["status"] == "submitted"
    assert resubmitted["contract_number"] == "JK-2026-0099"
    assert resubmitted["secured_amount"] == "3000000.00"
    pledge = client.post(_app_path(app_id, "register"), headers=registry.clerk)
    assert pledge.status_code == 201
    assert pledge.get_json()["secured_amount"] == "3000000.00"
    types = event_types(app)
    assert types.index("application.correction_requested") < types.index("application.corrected")


def test_a_registered_application_cannot_be_registered_again(client, app, registry):
    owner, bank = registry.party(), registry.party()
    asset = registry.asset([owner])
    application = registry.application(owner, bank, [asset["id"]])
    path = _app_path(application["id"], "register")
    assert client.post(path, headers=registry.clerk).status_code == 201
    before = row_counts(app)
    assert_problem(client.post(path, headers=registry.clerk), 409, "invalid-transition")
    assert_problem(
        client.post(
            _app_path(application["id"], "request-correction"),
            json={"note": "x"},
            headers=registry.clerk,
        ),
        409,
        "invalid-transition",
    )
    assert row_counts(app) == before
    assert_problem(client.post(_app_path(999_999, "register"), headers=registry.clerk), 404)


def test_filing_refuses_unknown_assets_and_bad_terms(client, app, registry):
    owner, bank = registry.party(), registry.party()
    asset = registry.asset([owner])
    before = row_counts(app)
    base = {"pledgor_id": owner, "pledgee_id": bank, "asset_ids": [asset["id"]]}
    for changes, field in (
        ({"asset_ids": [asset["id"], 999_999]}, "asset_ids"),
        ({"asset_ids": []}, "asset_ids"),
        ({"secured_amount": "-5.00"}, "secured_amount"),
        ({"secured_amount": "0"}, "secured_amount"),
        ({"currency": "yuan"}, "currency"),
        ({"acknowledged_risks": ["anything"]}, "acknowledged_risks"),
        ({"forfeiture_clause": "false"}, "forfeiture_clause"),
    ):
        response = client.post(
            "/api/v1/pledge-applications", json={**base, **changes}, headers=registry.clerk
        )
        assert field in assert_problem(response, 422, "validation-failed")["errors"], changes
    assert row_counts(app) == before


@pytest.mark.parametrize("backend", ["sqlite"])
def test_applications_are_listed_with_a_cursor(client, registry):
    owner, bank = registry.party(), registry.party()
    asset = registry.asset([owner])
    ids = [registry.application(owner, bank, [asset["id"]])["id"] for _ in range(5)]
    seen, cursor = [], None
    for _ in range(10):
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(f"/api/v1/pledge-applications{query}", headers=registry.clerk).get_json()
        seen += [a["id"] for a in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert seen == ids
