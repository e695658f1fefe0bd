"""An axe-core scan of the pages of default and disposal (the default page and its forms,
opening a disposal with and without field errors, an open and a sold disposal, the lists of
disposals and transactions, a refused page) finds no serious or critical violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.api.test_disposal_flow import Scene
from tests.browser.test_console_accessibility import blocking_violations
from tests.browser.test_console_browser import log_in
from tests.console_helpers import console_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_disposal_page_type_has_a_serious_accessibility_violation(
    page: Page, live_server, app, registry, client, keys, language
):
    registered, waiting, selling, sold = (Scene(client, registry, keys) for _ in range(4))
    for scene in (waiting, selling, sold):
        scene.default()
    open_disposal = selling.open()
    sale = sold.open()
    sold.bid(sale, sold.buyers[0], "1200000.00")
    sold.close(sale)
    pages = {
        "default page with its forms": f"/console/pledges/{registered.pledge['id']}/default",
        "default page of a defaulted pledge": f"/console/pledges/{waiting.pledge['id']}/default",
        "disposal form": f"/console/pledges/{waiting.pledge['id']}/disposals/new",
        "open disposal with its actions": f"/console/disposals/{open_disposal['id']}",
        "sold disposal with its statement": f"/console/disposals/{sale['id']}",
        "disposals": "/console/disposals",
        "defaults awaiting disposal": "/console/pledges?status=defaulted",
        "transactions": "/console/transactions",
    }
    page.goto(f"{live_server}/console/login?lang={language}")
    log_in(page, live_server, console_user(app, "clerk"))
    page.goto(f"{live_server}/console/?lang={language}")
    found = {}
    for name, path in pages.items():
        page.goto(live_server + path)
        if violations := blocking_violations(page):
            found[name] = violations
    # The disposal form sent without its costs: shown again with a field error.
    page.goto(live_server + pages["disposal form"])
    page.get_by_role("button", name="启动处置" if language == "zh" else "Open the disposal").click()
    page.wait_for_selector(".field-error")
    if violations := blocking_violations(page):
        found["disposal form with errors"] = violations
    # A page the role may not open (a bank and the transactions), in the same language.
    page.get_by_role("button", name="退出登录" if language == "zh" else "Log out").click()
    log_in(page, live_server, console_user(app, "bank", registered.bank))
    page.goto(f"{live_server}/console/transactions?lang={language}")
    if violations := blocking_violations(page):
        found["refused page"] = violations
    assert found == {}
