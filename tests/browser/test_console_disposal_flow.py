"""Default and disposal in a real browser, on SQLite and on PostgreSQL: a clerk declares
default, asks for and opens a disposal from the dashboard's queue, records a bid, closes it,
reads the distribution statement and finds the sale in the transactions list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.api.test_disposal_flow import Scene
from tests.browser.test_console_browser import log_in
from tests.console_helpers import console_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_clerk_takes_a_defaulted_pledge_through_disposal_to_its_statement(
    page: Page, live_server, app, client, registry, keys, backend
):
    scene = Scene(client, registry, keys)
    number, asset_number = scene.pledge["registration_number"], scene.assets[0]["number"]
    log_in(page, live_server, console_user(app, "clerk"))
    page.goto(f"{live_server}/console/pledges/{scene.pledge['id']}")
    page.get_by_role("link", name="The default, the debt due and the disposals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Default and disposal of {number}")
    page.get_by_label("Principal outstanding").fill("1000000.00")
    page.get_by_label("Interest due").fill("50000.00")
    page.get_by_label("Penalties due").fill("10000.00")
    page.get_by_role("button", name="Declare default").click()
    expect(page.get_by_role("status")).to_have_text("Default is declared.")
    debt = page.get_by_role("table", name=re.compile("Debt still due"))
    expect(debt.get_by_role("row", name=re.compile("^Total"))).to_contain_text("CN¥1,060,000.00")
    page.get_by_label("Note to the registry (optional)").fill("请及时处置")
    page.get_by_role("button", name="Ask for timely disposal").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your request for timely disposal is recorded for the registry."
    )

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.get_by_role("link", name=re.compile("Defaults awaiting disposal")).click()
    page.get_by_role("link", name=f"Open a disposal {number}").click()
    page.get_by_label("Method").select_option("auction")
    page.get_by_label("Reserve price").fill("800000.00")
    page.get_by_label("Costs of the disposal").fill("20000.00")
    page.get_by_label("Announcement period (days before bids open)").fill("0")
    page.get_by_role("button", name="Open the disposal").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^Disposal \d+ is open\.$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Disposal \d+$"))

    page.get_by_label("Bidder (party id)").fill(str(scene.buyers[0]))
    page.get_by_label("Amount bid").fill("1.00")
    page.get_by_role("button", name="Record the bid").click()
    expect(page.get_by_role("alert")).to_contain_text("The bid is below the reserve price.")
    page.get_by_label("Amount bid").fill("1200000.00")
    page.get_by_role("button", name="Record the bid").click()
    expect(page.get_by_role("status")).to_have_text("The bid is recorded.")
    page.get_by_role("button", name="Close the disposal").click()
    expect(page.get_by_role("status")).to_have_text("The disposal is closed.")
    expect(page.locator(".lead")).to_contain_text("Sold")
    statement = page.get_by_role("table", name=re.compile("The price of CN¥1,200,000.00"))
    expect(statement.get_by_role("row")).to_have_count(5)  # the header and four lines
    expect(
        statement.get_by_role("row", name=re.compile("^Surplus to the pledgor"))
    ).to_contain_text("CN¥120,000.00")
    expect(page.get_by_role("button", name="Record the bid")).to_have_count(0)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transactions").click()
    sales = page.get_by_role("table", name="Realized prices (oldest first)")
    row = sales.get_by_role("row", name=re.compile(re.escape(asset_number)))
    expect(row).to_contain_text("CN¥1,200,000.00")
    expect(row).to_contain_text("Auction")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the whole list as CSV").click()
    assert download.value.suggested_filename == "transactions.csv"
