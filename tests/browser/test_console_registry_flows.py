"""The registry's work in a real browser: a clerk registers parties and an asset, files and
registers a pledge and sees its receipt; a second application shows R09 failing (on SQLite
and on PostgreSQL); a bank sees a valuation with its three pictures."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from ipx.registry.numbers import make_patent_number
from tests.browser.test_console_browser import log_in
from tests.console_helpers import console_user
from tests.registry_helpers import credit_code

pytestmark = pytest.mark.browser
TODAY = date.today()


def register_party(page: Page, base: str, name: str) -> int:
    page.goto(f"{base}/console/parties/new?lang=en")
    page.get_by_label("Kind of party").select_option("organization")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Unified social credit code (organizations)").fill(credit_code())
    page.get_by_role("button", name="Create the party").click()
    notice = page.get_by_role("status")
    expect(notice).to_contain_text(f"{name} is registered as party")
    return int(re.search(r"party (\d+)", notice.inner_text()).group(1))


def register_asset(page: Page, base: str, holder: int, number: str) -> None:
    filed = TODAY - timedelta(days=3 * 365)
    page.goto(f"{base}/console/assets?lang=en")
    page.get_by_role("link", name="Register an asset").click()
    page.get_by_label("Kind of right").select_option("invention")
    page.get_by_label("Application or registration number").fill(number)
    page.get_by_label("Title").fill("一种稀土永磁材料及其制备方法")
    page.get_by_label("Holders (party ids, separated by commas)").fill(str(holder))
    page.get_by_label("Filing date").fill(filed.isoformat())
    page.get_by_label("Grant date").fill((filed + timedelta(days=700)).isoformat())
    page.get_by_label("Fees paid until").fill((TODAY + timedelta(days=200)).isoformat())
    page.get_by_label("Main classification (IPC)").fill("H01F 1/057")
    page.get_by_label("Claims").fill("10")
    page.get_by_role("button", name="Register the asset").click()


def file_application(page: Page, base: str, owner: int, bank: int, asset_id: str) -> None:
    page.goto(f"{base}/console/applications?lang=en")
    page.get_by_role("link", name="File an application").click()
    page.get_by_label("Pledgor (party id)").fill(str(owner))
    page.get_by_label("Pledgee bank (party id)").fill(str(bank))
    page.get_by_label("Pledged assets (asset ids, separated by commas)").fill(asset_id)
    page.get_by_label("Secured amount (CNY)").fill("5000000.00")
    page.get_by_label("Debt starts").fill(TODAY.isoformat())
    page.get_by_label("Debt ends").fill((TODAY + timedelta(days=730)).isoformat())
    page.get_by_label("Contract number").fill("JK-2026-0001")
    page.get_by_role("button", name="File the application").click()
    expect(page.get_by_role("status")).to_contain_text("is filed.")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_clerk_registers_a_pledge_from_scratch_and_a_second_one_shows_r09(
    page: Page, live_server, app, backend
):
    log_in(page, live_server, console_user(app, "clerk"))
    owner = register_party(page, live_server, "华东材料科技股份有限公司")
    bank = register_party(page, live_server, "工商银行上海分行")
    number = make_patent_number(TODAY.year - 3, 1, 31337)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    register_asset(page, live_server, owner, wrong)  # a mistyped check character first
    field_error = page.locator("#number-error")
    expect(field_error).to_have_text(re.compile(rf"it must be {re.escape(number[-1])}\."))
    expect(page.get_by_label("Application or registration number")).to_have_attribute(
        "aria-invalid", "true"
    )
    page.get_by_label("Application or registration number").fill(number)
    page.get_by_role("button", name="Register the asset").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    asset_id = page.url.rsplit("/", 1)[1].split("?")[0]

    file_application(page, live_server, owner, bank, asset_id)
    checklist = page.get_by_role("table", name="Grounds for refusal R01–R12")
    expect(checklist.get_by_role("row")).to_have_count(13)
    expect(checklist.get_by_role("row", name=re.compile("^R09"))).to_contain_text("Passes")
    page.get_by_role("button", name="Register the pledge").click()
    notice = page.get_by_role("status")
    expect(notice).to_contain_text(re.compile(r"registered as IPX-P-\d{4}-\d{6}"))
    registration = re.search(r"IPX-P-\d{4}-\d{6}", notice.inner_text()).group(0)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Pledge {registration}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the receipt (JSON)").click()
    assert download.value.suggested_filename.endswith("-receipt.json")

    file_application(page, live_server, owner, bank, asset_id)
    r09 = page.get_by_role("table", name="Grounds for refusal R01–R12").get_by_role(
        "row", name=re.compile("^R09")
    )
    expect(r09).to_contain_text("Fails")
    expect(r09).to_contain_text("The asset is under registered pledge")
    expect(page.get_by_text("1 of 12 grounds for refusal apply.")).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile("^R09"))).to_be_checked()


def test_a_bank_asks_for_a_valuation_and_sees_its_three_pictures(
    page: Page, live_server, app, registry
):
    owner, bank = registry.party("华东材料科技股份有限公司"), registry.party("工商银行上海分行")
    asset = registry.asset([owner])
    registry.pledge(owner, bank, [asset["id"]])
    log_in(page, live_server, console_user(app, "bank", bank))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Valuations").click()
    page.get_by_label("Asset (id)").fill(str(asset["id"]))
    page.get_by_label("Loan term (months)").fill("24")
    page.get_by_label("Annual revenue of the products using it (CNY, for a value range)").fill(
        "2000000"
    )
    page.get_by_role("button", name="Value the asset").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Valuation \d+$"))
    pictures = page.get_by_role("img")
    expect(pictures).to_have_count(3)
    for name in ("Probability that the right", "The value lies between", "How much each feature"):
        expect(page.get_by_role("img", name=re.compile(name))).to_be_visible()
    for table in ("Survival curve as a table", "Value range as a table", "Drivers as a table"):
        expect(page.get_by_role("table", name=re.compile(table))).to_be_visible()
