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
    assert "The period lies within one calendar year." in page_text(sent)
    assert row_counts(app) == before


def test_only_an_admin_has_the_form(app, client):
    clerk = logged_in(client, app, "clerk")
    assert clerk.get(FORM).status_code == 403
    assert FORM not in page_text(clerk.get("/console/support?lang=en"))


def _terms_form(admin, programme_id: int) -> tuple[str, str, dict]:
    path = f"/console/support/{programme_id}"
    html = page_text(admin.get(path + "?lang=en"))
    return html, f"{path}/terms", form_fields(html, f"{path}/terms")


def test_an_admin_changes_the_terms_in_place_then_as_a_new_version(app, client, registry, keys):
    from tests.api.test_support_flow import apply, mark_sme, programme
    from tests.registry_helpers import scene

    cast = scene(registry, keys)
    prog = programme(client, cast.headers["admin"])
    admin = logged_in(client, app, "admin")
    html, action, hidden = _terms_form(admin, prog["id"])
    assert 'value="1000000.00"' in html  # shown with the terms as they are
    base = {
        "terms-budget": "1000000.00",
        "terms-cap_per_loan": "300000.00",
        "terms-cap_per_firm_year": "500000.00",
        "terms-period_end": prog["period_end"],
    }
    same = admin.post(action, data={**hidden, **base})
    assert same.status_code == 302
    assert "Nothing changed" in page_text(admin.get(same.headers["Location"]))
    _, action, hidden = _terms_form(admin, prog["id"])
    grown = admin.post(action, data={**hidden, **base, "terms-budget": "2000000.00"})
    assert grown.status_code == 302, page_text(grown)
    assert grown.headers["Location"].endswith(f"/console/support/{prog['id']}")  # in place
    mark_sme(client, cast.headers["clerk"], cast.owner)
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    apply(client, cast.headers["bank"], prog["id"], [pledge["id"]])
    _, action, hidden = _terms_form(admin, prog["id"])
    versioned = admin.post(action, data={**hidden, **base, "terms-budget": "3000000.00"})
    assert versioned.status_code == 302, page_text(versioned)
    new_id = int(versioned.headers["Location"].rsplit("/", 1)[1])
    assert new_id != prog["id"]
    listed = client.get(f"{API}/support-programmes", headers=keys.header("clerk")).get_json()
    versions = {p["id"]: (p["version"], p["budget"], p["superseded"]) for p in listed["items"]}
    assert versions[prog["id"]] == (1, "2000000.00", True)
    assert versions[new_id] == (2, "3000000.00", False)


def test_a_clerk_sees_the_report_without_the_terms_form(app, client, keys):
    from tests.api.test_support_flow import programme

    prog = programme(client, keys.header("admin"))
    clerk = logged_in(client, app, "clerk")
    html = page_text(clerk.get(f"/console/support/{prog['id']}?lang=en"))
    assert f"/console/support/{prog['id']}/terms" not in html


def test_a_fee_programme_takes_its_share_in_percent(app, client, keys):
    admin = logged_in(client, app, "admin")
    hidden = form_fields(page_text(admin.get(FORM + "?lang=en")), FORM)
    terms = _terms(kind="guarantee_fee", rate_bp="", share="50", currency=" CNY ")
    sent = admin.post(FORM, data={**hidden, **terms})
    assert sent.status_code == 302, page_text(sent)
    [made] = client.get(f"{API}/support-programmes", headers=keys.header("clerk")).get_json()[
        "items"
    ]
    assert (made["kind"], made["share"], made["rate_bp"], made["currency"]) == (
        "guarantee_fee",
        "50.00",
        None,
        "CNY",
    )


def test_terms_the_api_refuses_are_refused_on_the_form_too(app, client):
    admin = logged_in(client, app, "admin")
    hidden = form_fields(page_text(admin.get(FORM + "?lang=en")), FORM)
    before = row_counts(app)
    fee = {"kind": "guarantee_fee", "rate_bp": ""}
    for bad in (
        {**fee, "share": "12.345"},
        {**fee, "share": "sNaN"},
        {**fee, "share": "101"},
        {"currency": "1$a"},
        {"currency": " cn "},
        {"currency": "ßab"},
        {"budget": "0"},
        {"budget": "sNaN"},
    ):
        sent = admin.post(FORM, data={**hidden, **_terms(**bad)})
        assert sent.status_code == 422, bad
        assert page_text(sent).count('class="field-error"') == 1, bad
    assert row_counts(app) == before
