"""A support application's console page: the claim, the amount the service computed line by
line, and the clerk's decision on it (approve, possibly a lower amount with its reason; refuse
with coded reasons; then record the payment), as the API's calls make it. The parties see the
page and no form; a form with bad input comes back with its messages and decides nothing."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.api.test_support_flow import apply, mark_sme, programme, read
from tests.console_helpers import csrf_token, form_fields, logged_in, page_text
from tests.registry_helpers import event_types, row_counts, scene


@pytest.fixture
def submitted(client, registry, keys):
    """An interest subsidy application by the bank for its loan to a small firm."""
    cast = scene(registry, keys)
    h = cast.headers
    mark_sme(client, h["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(client, h["admin"])
    application = apply(client, h["bank"], prog["id"], [pledge["id"]])
    return {"cast": cast, "application": application, "programme": prog}


def _page(client, application_id: int, action: str | None = None):
    path = f"/console/support/applications/{application_id}"
    html = page_text(client.get(path + "?lang=en"))
    if action is None:
        return html, path, {}
    return html, path, form_fields(html, f"{path}/{action}")


def test_the_page_shows_the_working_and_a_clerk_approves_then_records_the_payment(
    app, client, submitted
):
    application, h = submitted["application"], submitted["cast"].headers
    clerk = logged_in(client, app, "clerk")
    html, path, hidden = _page(clerk, application["id"], "approve")
    assert "Submitted: awaits the clerk" in html
    for line in application["working"]:
        assert f"<code>{line['step']}</code>" in html
    approved = clerk.post(f"{path}/approve", data=hidden)
    assert approved.status_code == 302, page_text(approved)
    answer = read(client, h["clerk"], application["id"])
    assert (answer["status"], answer["approved_amount"]) == (
        "approved",
        application["computed_amount"],
    )
    html, _, hidden = _page(clerk, application["id"], "pay")
    assert "The application is approved." in html and "Approved: awaits payment" in html
    paid = clerk.post(f"{path}/pay", data={**hidden, "pay-reference": "CZ-2026-0042"})
    assert paid.status_code == 302, page_text(paid)
    answer = read(client, h["clerk"], application["id"])
    assert (answer["status"], answer["payment_reference"]) == ("paid", "CZ-2026-0042")
    html, _, _ = _page(clerk, application["id"])
    assert "CZ-2026-0042" in html and "/pay" not in html and "/approve" not in html
    assert event_types(app)[-2:] == ["support.application_approved", "support.application_paid"]


def test_a_lower_amount_needs_its_reason_and_comes_back_with_the_message(app, client, submitted):
    application = submitted["application"]
    clerk = logged_in(client, app, "clerk")
    _, path, hidden = _page(clerk, application["id"], "approve")
    lower = (Decimal(application["computed_amount"]) / 2).quantize(Decimal("0.01"))
    before = row_counts(app)
    refused = clerk.post(f"{path}/approve", data={**hidden, "approve-amount": str(lower)})
    assert refused.status_code == 422
    html = page_text(refused)
    assert "Give the reason for approving less." in html
    assert row_counts(app) == before
    again = clerk.post(
        f"{path}/approve",
        data={**hidden, "approve-amount": str(lower), "approve-reason": "部分利息未实际支付"},
    )
    assert again.status_code == 302, page_text(again)
    answer = read(client, submitted["cast"].headers["clerk"], application["id"])
    assert answer["approved_amount"] == f"{lower:.2f}"


def test_a_clerk_refuses_with_coded_reasons(app, client, submitted):
    application = submitted["application"]
    clerk = logged_in(client, app, "clerk")
    _, path, hidden = _page(clerk, application["id"], "refuse")
    none_chosen = clerk.post(f"{path}/refuse", data=hidden)
    assert none_chosen.status_code == 422
    assert "Choose at least one reason." in page_text(none_chosen)
    refused = clerk.post(
        f"{path}/refuse",
        data={**hidden, "refuse-reasons": ["documents-missing", "other"], "refuse-note": "补件"},
    )
    assert refused.status_code == 302, page_text(refused)
    answer = read(client, submitted["cast"].headers["clerk"], application["id"])
    assert answer["status"] == "refused"
    html, _, _ = _page(clerk, application["id"])
    assert "Documents missing" in html and "Other (see the note)" in html


def test_an_approval_past_the_budget_is_a_message_on_the_page(app, client, submitted):
    cast = submitted["cast"]
    small = programme(client, cast.headers["admin"], budget="1.00", name="小额预算")
    pledge_ids = submitted["application"]["pledge_ids"]
    application = apply(client, cast.headers["bank"], small["id"], pledge_ids)
    clerk = logged_in(client, app, "clerk")
    _, path, hidden = _page(clerk, application["id"], "approve")
    before = row_counts(app)
    answer = clerk.post(f"{path}/approve", data=hidden)
    assert answer.status_code == 422
    assert "remaining budget does not cover this approval" in page_text(answer)
    assert row_counts(app) == before


def test_the_bank_sees_its_application_and_no_decision(app, client, submitted):
    application, cast = submitted["application"], submitted["cast"]
    bank = logged_in(client, app, "bank", cast.bank)
    html, path, _ = _page(bank, application["id"])
    assert "Computed amount" in html and "Submitted: awaits the clerk" in html
    assert f"{path}/approve" not in html and f"{path}/refuse" not in html
    token = csrf_token(html)  # the session's: the role, not the CSRF check, refuses
    assert bank.post(f"{path}/approve", data={"csrf_token": token}).status_code == 403
    other = logged_in(client.application.test_client(), app, "bank", cast.other_bank)
    assert other.get(path).status_code == 404
    assert read(client, cast.headers["clerk"], application["id"])["status"] == "submitted"


def test_the_overview_links_each_application_to_its_page(app, client, submitted):
    clerk = logged_in(client, app, "clerk")
    html = page_text(clerk.get("/console/support?lang=en"))
    assert f"/console/support/applications/{submitted['application']['id']}" in html


def _apply_form(client) -> tuple[str, dict]:
    html = page_text(client.get("/console/support/apply?lang=en"))
    return html, form_fields(html, "/console/support/apply")


def test_a_bank_applies_in_the_console_and_sees_the_working(app, client, registry, keys):
    cast = scene(registry, keys)
    mark_sme(client, cast.headers["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(client, cast.headers["admin"])
    bank = logged_in(client, app, "bank", cast.bank)
    html, hidden = _apply_form(bank)
    assert f'<option value="{prog["id"]}"' in html
    sent = bank.post(
        "/console/support/apply",
        data={
            **hidden,
            "programme_id": prog["id"],
            "pledge_ids": str(pledge["id"]),
            "outstanding_principal": "3000000.00",
            "document_digests": "AB" * 32 + "\n\n" + "cd" * 32,
        },
    )
    assert sent.status_code == 302, page_text(sent)
    application_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    answer = read(client, cast.headers["clerk"], application_id)
    assert answer["claim"] == {"outstanding_principal": "3000000.00"}
    assert answer["document_digests"] == ["ab" * 32, "cd" * 32]
    shown = page_text(bank.get(sent.headers["Location"] + "?lang=en"))
    assert "The application is submitted." in shown and "<code>interest</code>" in shown


def test_the_apply_form_puts_each_message_next_to_its_field(app, client, registry, keys):
    cast = scene(registry, keys)
    mark_sme(client, cast.headers["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    prog = programme(client, cast.headers["admin"])
    bank = logged_in(client, app, "bank", cast.bank)
    _, hidden = _apply_form(bank)
    before = row_counts(app)
    bad_digest = bank.post(
        "/console/support/apply",
        data={
            **hidden,
            "programme_id": prog["id"],
            "pledge_ids": str(pledge["id"]),
            "outstanding_principal": "1.00",
            "document_digests": "not a digest",
        },
    )
    assert bad_digest.status_code == 422
    assert "64 hexadecimal characters" in page_text(bad_digest)
    # The use case's own refusal of a claim field comes back next to that field.
    no_principal = bank.post(
        "/console/support/apply",
        data={**hidden, "programme_id": prog["id"], "pledge_ids": str(pledge["id"])},
    )
    assert no_principal.status_code == 422
    html = page_text(no_principal)
    error = re.search(r'id="outstanding_principal-error">([^<]+)<', html)
    assert error is not None, html
    assert row_counts(app) == before


def test_an_owner_is_offered_only_the_programmes_owners_apply_to(app, client, registry, keys):
    cast = scene(registry, keys)
    interest = programme(client, cast.headers["admin"])
    fees = programme(
        client,
        cast.headers["admin"],
        name="评估费补贴",
        kind="evaluation_fee",
        rate_bp=None,
        share="50.00",
    )
    owner = logged_in(client, app, "owner", cast.owner)
    html, _ = _apply_form(owner)
    assert f'<option value="{fees["id"]}"' in html
    assert f'<option value="{interest["id"]}"' not in html


def test_a_pledge_id_the_user_may_not_claim_is_a_message_on_the_form(app, client, registry, keys):
    cast = scene(registry, keys)
    prog = programme(client, cast.headers["admin"])
    bank = logged_in(client, app, "bank", cast.bank)
    _, hidden = _apply_form(bank)
    sent = bank.post(
        "/console/support/apply",
        data={
            **hidden,
            "programme_id": prog["id"],
            "pledge_ids": "999999",
            "outstanding_principal": "1.00",
        },
    )
    assert sent.status_code == 422
    assert "No pledge you may claim has one of these ids." in page_text(sent)


def test_the_applications_come_in_pages(app, client, registry, keys, monkeypatch):
    from ipx.console import reads

    cast = scene(registry, keys)
    mark_sme(client, cast.headers["clerk"], cast.owner)
    pledges = [registry.pledge(cast.owner, cast.bank, [registry.asset([cast.owner])["id"]])]
    pledges.append(registry.pledge(cast.owner, cast.bank, [cast.asset["id"]]))
    prog = programme(client, cast.headers["admin"])
    made = [apply(client, cast.headers["bank"], prog["id"], [p["id"]])["id"] for p in pledges]
    monkeypatch.setattr(reads, "PAGE_SIZE", 1)
    clerk = logged_in(client, app, "clerk")
    first = page_text(clerk.get("/console/support?lang=en"))
    link = f"/console/support/applications/{made[0]}"
    assert link in first and f"/console/support/applications/{made[1]}" not in first
    found = re.search(r'href="([^"]*)" rel="next"', first)
    assert found is not None
    second = page_text(clerk.get(found.group(1).replace("&amp;", "&")))
    assert f"/console/support/applications/{made[1]}" in second and link not in second
