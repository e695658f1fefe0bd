"""An axe-core scan of every page type of the console finds no serious or critical violation."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.test_console_browser import log_in
from tests.console_helpers import console_user

pytestmark = pytest.mark.browser
BLOCKING = {"serious", "critical"}


def blocking_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_page_type_has_a_serious_accessibility_violation(
    page: Page, live_server, app, registry, language
):
    owner = registry.party("华东材料科技股份有限公司")
    asset = registry.asset([owner])
    pledge = registry.pledge(owner, registry.party("工商银行上海分行"), [asset["id"]])
    pages = {
        "login": "/console/login",
        "public search": f"/console/public?number={asset['number']}",
        "dashboard": "/console/",
        "assets": "/console/assets",
        "asset": f"/console/assets/{asset['id']}",
        "pledges": "/console/pledges",
        "pledge": f"/console/pledges/{pledge['id']}",
        "error": "/console/pledges/999999",
        "API documentation": "/api/v1/docs",
    }
    page.goto(f"{live_server}/console/login?lang={language}")
    found = {}
    for name, path in pages.items():
        if name == "dashboard":
            log_in(page, live_server, console_user(app, "clerk"))
            page.goto(f"{live_server}/console/?lang={language}")
        page.goto(live_server + path)
        if name == "API documentation":
            page.wait_for_selector(".swagger-ui .information-container")
        if violations := blocking_violations(page):
            found[name] = violations
    assert found == {}
