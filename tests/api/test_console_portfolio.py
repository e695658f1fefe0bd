"""A bank's collateral in the console: its encumbering pledges with what its own latest
valuations say of them, revaluing them now (a breach is logged, as the API's revaluation logs
it), and its monthly revaluation schedule, set and deleted as `PUT`/`DELETE
/portfolio/revaluation-schedule` do. Only banks have the page."""

from __future__ import annotations

from tests.console_helpers import form_fields, logged_in, page_text
from tests.registry_helpers import event_types, row_counts

API = "/api/v1"
PAGE = "/console/portfolio"
ECONOMICS = {"annual_revenue": "2000000.00", "royalty_rate": 0.05, "discount_rate": 0.1}


def _bank_with_pledges(client, registry, keys):
    owner, bank = registry.party(), registry.party()
    valued, unvalued = registry.asset([owner]), registry.asset([owner])
    big = registry.pledge(owner, bank, [valued["id"]], secured_amount="900000000.00")
    other = registry.pledge(owner, bank, [unvalued["id"]])
    body = {"asset_id": valued["id"], "loan_term_months": 24, "economics": ECONOMICS}
    made = client.post(f"{API}/valuations", json=body, headers=keys.header("bank", bank))
    assert made.status_code == 201, made.get_json()
    return bank, big, other, made.get_json()


def test_the_page_shows_each_pledge_with_its_latest_value(app, client, registry, keys):
    bank, big, other, valuation = _bank_with_pledges(client, registry, keys)
    user = logged_in(client, app, "bank", bank)
    html = page_text(user.get(PAGE + "?lang=en"))
    assert big["registration_number"] in html and other["registration_number"] in html
    value = valuation["collateral"]["collateral_value"]
    assert f"{int(value.split('.')[0]):,}" in html  # written as money, with separators
    assert "Not every asset is valued yet" in html  # the other pledge's asset
    assert 'href="/console/portfolio"' in html  # the bank's own navigation link


def test_revaluing_now_logs_the_breach_and_says_how_many(app, client, registry, keys):
    bank, big, other, _ = _bank_with_pledges(client, registry, keys)
    user = logged_in(client, app, "bank", bank)
    hidden = form_fields(page_text(user.get(PAGE + "?lang=en")), f"{PAGE}/revalue")
    sent = user.post(f"{PAGE}/revalue", data=hidden)
    assert sent.status_code == 302, page_text(sent)
    shown = page_text(user.get(PAGE + "?lang=en"))
    assert "2 pledges revalued; 1 in breach." in shown
    assert event_types(app).count("valuation.ltv_breach") == 1
    assert "Not every asset is valued yet" not in shown  # every asset has its value now


def test_a_bad_threshold_comes_back_with_its_message(app, client, registry, keys):
    bank, *_ = _bank_with_pledges(client, registry, keys)
    user = logged_in(client, app, "bank", bank)
    hidden = form_fields(page_text(user.get(PAGE)), f"{PAGE}/revalue")
    before = row_counts(app)
    for bad in ("1.5", "0", "0.12345", "sNaN"):
        sent = user.post(f"{PAGE}/revalue", data={**hidden, "revalue-ltv_threshold": bad})
        assert sent.status_code == 422, bad
        assert page_text(sent).count('class="field-error"') == 1, bad
    assert row_counts(app) == before


def test_the_schedule_is_set_shown_and_deleted(app, client, registry, keys):
    bank, *_ = _bank_with_pledges(client, registry, keys)
    api = keys.header("bank", bank)
    user = logged_in(client, app, "bank", bank)
    hidden = form_fields(page_text(user.get(PAGE)), f"{PAGE}/schedule")
    bad = user.post(f"{PAGE}/schedule", data={**hidden, "schedule-day_of_month": "31"})
    assert bad.status_code == 422
    assert client.get(f"{API}/portfolio/revaluation-schedule", headers=api).status_code == 404
    sent = user.post(
        f"{PAGE}/schedule",
        data={
            **hidden,
            "schedule-day_of_month": "5",
            "schedule-ltv_threshold": "0.5",
            "schedule-enabled": "y",
        },
    )
    assert sent.status_code == 302, page_text(sent)
    schedule = client.get(f"{API}/portfolio/revaluation-schedule", headers=api).get_json()
    assert (schedule["day_of_month"], schedule["ltv_threshold"], schedule["enabled"]) == (
        5,
        "0.5000",  # as the service keeps it: four places
        True,
    )
    html = page_text(user.get(PAGE + "?lang=en"))
    assert "Your schedule: day 5 of each month" in html
    assert 'value="5"' in html  # the form shows the schedule as it is
    hidden = form_fields(html, f"{PAGE}/schedule/delete")
    deleted = user.post(f"{PAGE}/schedule/delete", data=hidden)
    assert deleted.status_code == 302, page_text(deleted)
    assert client.get(f"{API}/portfolio/revaluation-schedule", headers=api).status_code == 404


def test_only_a_bank_has_the_page(app, client, registry):
    owner = registry.party()
    user = logged_in(client, app, "owner", owner)
    assert user.get(PAGE).status_code == 403
    assert 'href="/console/portfolio"' not in page_text(user.get("/console/?lang=en"))
