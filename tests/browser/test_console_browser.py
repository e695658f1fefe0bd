"""The console in a real browser: log in, lock-out, CSRF, the public search, who sees what."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.console_helpers import PASSWORD, console_user
from tests.registry_helpers import row_counts

pytestmark = pytest.mark.browser


def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/console/login?lang=en")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def pledges(registry):
    """Two owners, each with a granted patent pledged to one bank."""
    bank = registry.party("工商银行上海分行")
    made = []
    for name in ("Huadong Advanced Materials 华东材料科技", "西南光电有限公司"):
        owner = registry.party(name)
        asset = registry.asset([owner])
        made.append({"owner": owner, "asset": asset, **registry.pledge(owner, bank, [asset["id"]])})
    return made


def test_a_clerk_logs_in_and_out(page: Page, live_server, app):
    user = console_user(app, "clerk")
    log_in(page, live_server, user)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Work queues")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_have_text("You have logged out.")
    page.goto(f"{live_server}/console/")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))


def test_five_failed_logins_lock_the_username(page: Page, live_server, app):
    user = console_user(app, "clerk")
    for attempt in range(4):
        log_in(page, live_server, user, f"wrong password {attempt}")
        expect(page.get_by_role("alert")).to_have_text("The username or password is not correct.")
    log_in(page, live_server, user, "wrong password 5")
    expect(page.get_by_role("alert")).to_contain_text("Too many failed logins")
    log_in(page, live_server, user)  # the right password, refused while locked
    expect(page.get_by_role("alert")).to_contain_text("Too many failed logins")
    expect(page.get_by_role("heading", name="Log in to the registry console")).to_be_visible()


def test_a_form_with_a_forged_csrf_token_is_refused_and_changes_nothing(
    page: Page, live_server, app
):
    user = console_user(app, "clerk")
    page.goto(f"{live_server}/console/login?lang=en")
    page.locator("input[name=csrf_token]").evaluate("field => { field.value = 'forged' }")
    before = row_counts(app)
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill("a wrong password")
    with page.expect_response(re.compile(r"/console/login(\?.*)?$")) as answer:
        page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This form has expired or did not come from this site."
    )
    assert row_counts(app) == before  # not even the failed login was counted
    # The real form, reloaded, works.
    log_in(page, live_server, user)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def test_the_public_search_finds_a_pledge_by_a_lower_case_part_of_the_pledgors_name(
    page: Page, live_server, pledges
):
    page.goto(f"{live_server}/console/public?lang=en")
    page.get_by_label("Pledgor's name or credit code").fill("advanced materials")
    page.get_by_role("button", name="Search by pledgor").click()
    table = page.get_by_role("table", name="1 pledge found")
    expect(table.get_by_role("cell", name=pledges[0]["registration_number"])).to_be_visible()
    expect(page.get_by_text("Checkpoint of the ledger")).to_be_visible()
    expect(table).not_to_contain_text(pledges[1]["registration_number"])


def test_an_owner_sees_its_own_pledge_and_gets_404_for_anothers(
    page: Page, live_server, app, pledges
):
    mine, theirs = pledges
    log_in(page, live_server, console_user(app, "owner", mine["owner"]))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pledges").click()
    expect(page.get_by_role("link", name=theirs["registration_number"])).to_have_count(0)
    page.get_by_role("link", name=mine["registration_number"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Pledge {mine['registration_number']}"
    )
    expect(page.get_by_role("link", name="Download the receipt (JSON)")).to_be_visible()
    answer = page.goto(f"{live_server}/console/pledges/{theirs['id']}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("There is no such page or record.")
    expect(page.locator("body")).not_to_contain_text(theirs["registration_number"])


def test_the_login_works_from_the_keyboard_alone(page: Page, live_server, app):
    user = console_user(app, "clerk")
    page.goto(f"{live_server}/console/login?lang=en")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # hidden until focused, then on screen
    page.get_by_label("Username").focus()
    page.keyboard.type(user)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
