"""The examination screen: every ground R01-R12 with its fact, and the clerk's decisions
(register, refuse, request a correction), filed and decided from the console."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.api.test_console_registry_forms import submit
from tests.conftest import Keys
from tests.console_helpers import form_fields, logged_in, page_text
from tests.registry_helpers import event_types, row_counts

TODAY = date.today()


@pytest.fixture
def world(registry):
    owner = registry.party("华东材料科技股份有限公司")
    bank = registry.party("工商银行上海分行")
    asset = registry.asset([owner])
    return {"owner": owner, "bank": bank, "asset": asset}


def application_form(world, **overrides) -> dict:
    form = {
        "pledgor_id": str(world["owner"]),
        "pledgee_id": str(world["bank"]),
        "asset_ids": str(world["asset"]["id"]),
        "secured_amount": "5000000.00",
        "debt_start": TODAY.isoformat(),
        "debt_end": (TODAY + timedelta(days=730)).isoformat(),
        "contract_number": "JK-2026-0001",
    }
    form.update(overrides)
    return form


def file(client, world, **overrides) -> int:
    answer = submit(client, "/console/applications/new", application_form(world, **overrides))
    assert answer.status_code == 302, page_text(answer)
    return int(answer.headers["Location"].rsplit("/", 1)[1])


def rows(page: str) -> dict[str, str]:
    """Each checklist row's text by its ground code."""
    found = re.findall(
        r'<tr class="(pass|fail)">\s*<th scope="row">(R\d\d)</th>(.*?)</tr>', page, re.S
    )
    return {code: outcome + " " + re.sub(r"<[^>]+>", " ", body) for outcome, code, body in found}


def post_action(client, application_id: int, action: str, data: dict):
    """POST one of the examination screen's forms (each carries the session's CSRF token)."""
    page = page_text(client.get(f"/console/applications/{application_id}"))
    path = f"/console/applications/{application_id}/{action}"
    return client.post(path, data={**form_fields(page, path), **data})


def test_a_clerk_files_examines_and_registers_and_sees_the_number_and_receipt(app, client, world):
    clerk = logged_in(client, app, "clerk")
    application_id = file(clerk, world)
    page = page_text(clerk.get(f"/console/applications/{application_id}?lang=en"))
    checks = rows(page)
    assert sorted(checks) == [f"R{n:02d}" for n in range(1, 13)]
    assert all(text.startswith("pass") for text in checks.values()), checks
    assert "No ground for refusal applies" in page
    answer = post_action(clerk, application_id, "register", {})
    assert answer.status_code == 302, page_text(answer)
    pledge_page = page_text(clerk.get(answer.headers["Location"] + "?lang=en"))
    number = re.search(r"IPX-P-\d{4}-\d{6}", pledge_page).group(0)
    assert f"The pledge is registered as {number}." in pledge_page
    assert "receipt.json" in pledge_page
    assert event_types(app)[-2:] == ["application.submitted", "pledge.registered"]


def test_a_second_application_on_the_asset_shows_r09_failing_with_its_pledge(
    app, client, registry, world
):
    first = registry.pledge(world["owner"], world["bank"], [world["asset"]["id"]])
    clerk = logged_in(client, app, "clerk")
    application_id = file(clerk, world, contract_number="JK-2026-0002")
    page = page_text(clerk.get(f"/console/applications/{application_id}?lang=en"))
    checks = rows(page)
    assert checks["R09"].startswith("fail")
    assert f"under registered pledge {first['registration_number']}" in checks["R09"]
    assert [code for code, text in checks.items() if text.startswith("fail")] == ["R09"]
    assert "1 of 12 grounds for refusal apply." in page
    # Registering anyway is refused with the ground, and changes nothing.
    before = row_counts(app)
    answer = post_action(clerk, application_id, "register", {})
    assert answer.status_code == 409
    assert "The pledge was not registered" in page_text(answer) and "R09" in page_text(answer)
    assert row_counts(app) == before


def test_unpaid_fees_show_the_date_they_were_paid_until(app, client, registry, world):
    paid_until = TODAY - timedelta(days=30)
    late = registry.asset([world["owner"]], fees_paid_until=paid_until.isoformat())
    clerk = logged_in(client, app, "clerk")
    application_id = file(clerk, world, asset_ids=str(late["id"]))
    page = page_text(clerk.get(f"/console/applications/{application_id}?lang=en"))
    assert rows(page)["R04"].startswith("fail")
    assert "Fees paid until" in rows(page)["R04"] and "before today" in rows(page)["R04"]
    chinese = page_text(clerk.get(f"/console/applications/{application_id}?lang=zh"))
    assert "早于今天" in rows(chinese)["R04"]


def test_the_clerk_refuses_with_grounds_or_asks_for_a_correction(app, client, world):
    clerk = logged_in(client, app, "clerk")
    refused = file(clerk, world)
    corrected = file(clerk, world, contract_number="JK-2")
    none_chosen = post_action(clerk, refused, "refuse", {"refuse-note": "x"})
    assert none_chosen.status_code == 422
    answer = post_action(
        clerk, refused, "refuse", {"refuse-grounds": ["R07", "R11"], "refuse-note": "缺少合同"}
    )
    assert answer.status_code == 302
    page = page_text(clerk.get(f"/console/applications/{refused}?lang=en"))
    assert "Refused" in page and "R07" in page and "缺少合同" in page
    answer = post_action(
        clerk, corrected, "request-correction", {"correction-note": "请补充合同编号"}
    )
    assert answer.status_code == 302
    page = page_text(clerk.get(f"/console/applications/{corrected}?lang=en"))
    assert "Awaiting correction" in page and "请补充合同编号" in page
    assert event_types(app)[-2:] == ["application.refused", "application.correction_requested"]


def test_a_bank_files_for_itself_and_an_owner_sees_only_its_own_applications(
    app, client, registry, world
):
    bank = logged_in(client, app, "bank", world["bank"])
    application_id = file(bank, world)
    bank_page = page_text(bank.get(f"/console/applications/{application_id}"))
    assert 'class="data checklist"' not in bank_page  # the examination is the registry's
    assert "/register" not in bank_page
    owner = logged_in(app.test_client(), app, "owner", world["owner"])
    assert owner.get(f"/console/applications/{application_id}").status_code == 200
    assert f"/console/applications/{application_id}" in page_text(
        owner.get("/console/applications")
    )
    stranger = logged_in(app.test_client(), app, "owner", registry.party("岭南电子有限公司"))
    response = stranger.get(f"/console/applications/{application_id}")
    assert response.status_code == 404
    assert f"/console/applications/{application_id}" not in page_text(
        stranger.get("/console/applications")
    )
    # A bank files only as the pledgee.
    other = registry.party("建设银行广州分行")
    before = row_counts(app)
    answer = submit(
        bank, "/console/applications/new", application_form(world, pledgee_id=str(other))
    )
    assert answer.status_code == 403
    assert row_counts(app) == before


def test_bad_input_on_the_application_form_changes_nothing(app, client, world):
    clerk = logged_in(client, app, "clerk")
    before = row_counts(app)
    answer = submit(
        clerk, "/console/applications/new?lang=en", application_form(world, asset_ids="99999, x")
    )
    assert answer.status_code == 422
    assert 'id="asset_ids-error"' in page_text(answer)
    answer = submit(
        clerk, "/console/applications/new?lang=en", application_form(world, asset_ids="99999")
    )
    assert answer.status_code == 422
    assert "No asset with these ids: 99999." in page_text(answer)
    assert row_counts(app) == before


def test_the_bank_corrects_an_application_returned_to_it_and_resubmits_it(app, client, world):
    clerk = logged_in(client, app, "clerk")
    application_id = file(clerk, world, contract_number="")
    assert rows(page_text(clerk.get(f"/console/applications/{application_id}")))["R07"].startswith(
        "fail"
    )
    post_action(clerk, application_id, "request-correction", {"correction-note": "缺合同编号"})
    bank = logged_in(app.test_client(), app, "bank", world["bank"])
    page = page_text(bank.get(f"/console/applications/{application_id}?lang=en"))
    assert "Correct and resubmit" in page and f'value="{world["owner"]}"' in page
    terms = {f"terms-{k}": v for k, v in application_form(world, contract_number="JK-9").items()}
    answer = post_action(bank, application_id, "correct", terms)
    assert answer.status_code == 302, page_text(answer)
    page = page_text(clerk.get(f"/console/applications/{application_id}?lang=en"))
    assert rows(page)["R07"].startswith("pass") and "Submitted" in page
    assert event_types(app)[-1] == "application.corrected"


def test_the_application_and_party_lists_export_csv(app, client, world):
    clerk = logged_in(client, app, "clerk")
    file(clerk, world)
    applications = clerk.get("/console/applications?format=csv")
    assert applications.mimetype == "text/csv"
    body = applications.get_data(as_text=True)
    assert "工商银行上海分行" in body and "5000000.00" in body
    parties = clerk.get("/console/parties?format=csv&q=华东").get_data(as_text=True)
    assert "华东材料科技股份有限公司" in parties and "工商银行" not in parties


def test_a_console_correction_keeps_the_terms_its_form_does_not_show(app, client, world):
    """Filed over the API with a currency and a forfeiture flag the form has no field for;
    corrected in the console: those stay as filed."""
    headers = Keys(app).header("clerk")
    body = {
        "pledgor_id": world["owner"],
        "pledgee_id": world["bank"],
        "asset_ids": [world["asset"]["id"]],
        "secured_amount": "80000.00",
        "currency": "USD",
        "debt_start": TODAY.isoformat(),
        "debt_end": (TODAY + timedelta(days=365)).isoformat(),
        "forfeiture_clause": True,
    }
    filed = client.post("/api/v1/pledge-applications", json=body, headers=headers)
    assert filed.status_code == 201, filed.get_json()
    application_id = filed.get_json()["id"]
    clerk = logged_in(app.test_client(), app, "clerk")
    post_action(clerk, application_id, "request-correction", {"correction-note": "合同编号"})
    terms = {f"terms-{k}": v for k, v in application_form(world, contract_number="JK-7").items()}
    answer = post_action(clerk, application_id, "correct", terms)
    assert answer.status_code == 302, page_text(answer)
    after = client.get(f"/api/v1/pledge-applications/{application_id}", headers=headers)
    stored = after.get_json()
    assert stored["contract_number"] == "JK-7" and stored["status"] == "submitted"
    assert stored["currency"] == "USD" and stored["forfeiture_clause"] is True
