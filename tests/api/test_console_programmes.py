"""An admin defines a support programme in the console, as `POST /support-programmes` does:
the programme is then listed and takes applications; a form with bad terms comes back with the
use case's or the fields' messages and defines nothing; only admins have the form."""

from __future__ import annotations

from datetime import date

from tests.console_helpers import form_fields, logged_in, page_text
from tests.registry_helpers import row_counts

API = "/api/v1"
FORM = "/console/support/new"


def _terms(**changes) -> dict:
    year = date.today().year
    terms = {
        "name": "知识产权质押贷款贴息（控制台）",
        "kind": "interest_subsidy",
        "period_start": f"{year}-01-01",
        "period_end": f"{year}-12-31",
        "rate_bp": "150",
        "cap_per_loan": "300000.00",
        "cap_per_firm_year": "500000.00",
        "budget": "1000000.00",
        "currency": "cny",
        "sme_only": "y",
        "asset_kinds": ["invention", "utility_model"],
    }
    return {**terms, **changes}


def test_an_admin_defines_a_programme(app, client, keys):
    admin = logged_in(client, app, "admin")
    hidden = form_fields(page_text(admin.get(FORM + "?lang=en")), FORM)
    sent = admin.post(FORM, data={**hidden, **_terms()})
    assert sent.status_code == 302, page_text(sent)
    assert "The programme is defined." in page_text(admin.get(sent.headers["Location"]))
    listed = client.get(f"{API}/support-programmes", headers=keys.header("clerk")).get_json()
    [made] = listed["items"]
    assert (made["kind"], made["rate_bp"], made["currency"], made["sme_only"]) == (
        "interest_subsidy",
        150,
        "CNY",
        True,
    )
    assert made["asset_kinds"] == ["invention", "utility_model"]
    assert made["budget"] == "1000000.00" and made["first_loan_only"] is False


def test_bad_terms_come_back_and_define_nothing(app, client):
    admin = logged_in(client, app, "admin")
    hidden = form_fields(page_text(admin.get(FORM + "?lang=en")), FORM)
    before = row_counts(app)
    for bad in (
        {"budget": ""},
        {"period_end": "not a date"},
        {"rate_bp": "0"},
    ):
        sent = admin.post(FORM, data={**hidden, **_terms(**bad)})
        assert sent.status_code == 422, bad
        assert 'class="field-error"' in page_text(sent), bad
    year = date.today().year  # a period over two years: the use case's own refusal
    sent = admin.post(FORM, data={**hidden, **_terms(period_end=f"{year + 1}-06-30")})
    assert sent.status_code == 422
    assert row_counts(app) == before


def test_only_an_admin_has_the_form(app, client):
    clerk = logged_in(client, app, "clerk")
    assert clerk.get(FORM).status_code == 403
    assert FORM not in page_text(clerk.get("/console/support?lang=en"))
