"""An axe-core scan of the support and model-risk pages (the programmes and applications, an
application's page with the clerk's form, a programme's report with its chart, the back-test
with its chart and the input drift) finds no serious or critical violation, in Chinese and in
English."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.api.test_console_support import _approved_application
from tests.api.test_model_risk import Market
from tests.browser.test_console_accessibility import blocking_violations
from tests.browser.test_console_browser import log_in
from tests.console_helpers import console_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_support_or_model_page_has_a_serious_accessibility_violation(
    page: Page, live_server, app, registry, client, keys, language
):
    _cast, programme, application = _approved_application(client, registry, keys)
    market = Market(client, registry, keys)
    asset = registry.asset([market.owner])
    valuation = market.value(asset["id"])
    market.sell(market.pledge([asset["id"]], valuation["id"]), valuation["value"]["p50"])
    # each page, with the number of charts it draws
    pages = {
        "programmes and applications": ("/console/support", 0),
        "programme report with its chart": (f"/console/support/{programme['id']}", 1),
        "the application form": ("/console/support/apply", 0),
        "application with the payment form": (
            f"/console/support/applications/{application['id']}",
            0,
        ),
        "back-test with its chart": ("/console/model/backtest", 1),
        "input drift": ("/console/model/monitoring", 0),
    }
    log_in(page, live_server, console_user(app, "clerk"))
    page.goto(f"{live_server}/console/?lang={language}")
    found = {}
    for name, (path, charts) in pages.items():
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, name
        # the page itself in the language chosen, not an error page or a fallback
        assert (page.locator("html").get_attribute("lang") or "").startswith(language), name
        assert page.locator("main h1").count() == 1, name
        assert page.locator("svg.chart[role=img]").count() == charts, name
        if violations := blocking_violations(page):
            found[name] = violations
    assert found == {}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_banks_collateral_and_notification_pages_have_no_serious_violation(
    page: Page, live_server, app, registry, client, keys, language
):
    from tests.api.test_console_portfolio import _bank_with_pledges

    bank, *_ = _bank_with_pledges(client, registry, keys)
    log_in(page, live_server, console_user(app, "bank", bank))
    page.goto(f"{live_server}/console/?lang={language}")
    response = page.goto(live_server + "/console/portfolio")
    assert response is not None and response.status == 200
    assert (page.locator("html").get_attribute("lang") or "").startswith(language)
    assert page.locator("main form").count() == 2  # revalue now; the schedule
    assert blocking_violations(page) == []
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    subscription = client.post(
        "/api/v1/subscriptions",
        json={"url": "http://127.0.0.1:9/hook", "events": ["pledge.registered"]},
        headers=keys.header("bank", bank),
    ).get_json()
    for path in ("/console/subscriptions", f"/console/subscriptions/{subscription['id']}"):
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, path
        assert blocking_violations(page) == [], path


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_admins_programme_form_has_no_serious_accessibility_violation(
    page: Page, live_server, app, language
):
    log_in(page, live_server, console_user(app, "admin"))
    page.goto(f"{live_server}/console/?lang={language}")
    response = page.goto(live_server + "/console/support/new")
    assert response is not None and response.status == 200
    assert (page.locator("html").get_attribute("lang") or "").startswith(language)
    assert blocking_violations(page) == []
