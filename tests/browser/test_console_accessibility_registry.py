"""An axe-core scan of the registry's page types (forms, the examination screen, valuations)
finds no serious or critical violation, with and without field errors shown."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.api.test_disposal_flow import Scene
from tests.browser.test_console_accessibility import blocking_violations
from tests.browser.test_console_browser import log_in
from tests.console_helpers import console_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_registry_page_type_has_a_serious_accessibility_violation(
    page: Page, live_server, app, registry, client, keys, language
):
    owner, bank = registry.party("华东材料科技股份有限公司"), registry.party("工商银行上海分行")
    asset = registry.asset([owner])
    pledge = registry.pledge(owner, bank, [asset["id"]])
    second = registry.application(owner, bank, [asset["id"]], contract_number="JK-2")
    returned = registry.application(owner, bank, [asset["id"]], contract_number="JK-3")
    registry.post(
        f"/pledge-applications/{returned['id']}/request-correction", {"note": "请补正"}, status=200
    )
    valuation = client.post(
        "/api/v1/valuations",
        json={
            "asset_id": asset["id"],
            "loan_term_months": 24,
            "explain": True,
            "economics": {"annual_revenue": "2000000.00"},
        },
        headers=keys.header("bank", bank),
    ).get_json()
    asked = {"asset_id": asset["id"], "kind": "licence", "to_party_ids": [bank]}
    transfer_request = registry.post("/transfer-requests", asked)
    scene = Scene(client, registry, keys)
    scene.default()
    open_disposal = scene.open()
    pages = {
        "disposal": f"/console/disposals/{open_disposal['id']}",
        "parties": "/console/parties",
        "party form": "/console/parties/new",
        "party with the firm-size form": f"/console/parties/{owner}",
        "asset form": "/console/assets/new",
        "asset with freezes": f"/console/assets/{asset['id']}",
        "applications": "/console/applications",
        "application form": "/console/applications/new",
        "examination": f"/console/applications/{second['id']}",
        "correction": f"/console/applications/{returned['id']}",
        "pledge with actions": f"/console/pledges/{pledge['id']}",
        "valuations": "/console/valuations",
        "valuation": f"/console/valuations/{valuation['id']}",
        "transfer requests": "/console/transfer-requests",
        "transfer request with its answers": f"/console/transfer-requests/{transfer_request['id']}",
    }
    page.goto(f"{live_server}/console/login?lang={language}")
    log_in(page, live_server, console_user(app, "clerk"))
    page.goto(f"{live_server}/console/?lang={language}")
    found = {}
    for name, path in pages.items():
        page.goto(live_server + path)
        if violations := blocking_violations(page):
            found[name] = violations
    # A form shown again with its field errors.
    page.goto(live_server + "/console/assets/new")
    page.get_by_role(
        "button", name="登记资产" if language == "zh" else "Register the asset"
    ).click()
    if violations := blocking_violations(page):
        found["asset form with errors"] = violations
    assert found == {}
