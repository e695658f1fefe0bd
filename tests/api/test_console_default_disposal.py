"""Default and disposal from the console: declaring default, asking for timely disposal,
opening and withdrawing a disposal; the same use cases and ledger events as the JSON API,
actions shown and allowed only to those who may take them, bad input next to its field."""

from __future__ import annotations

import re

import pytest

from tests.api.test_disposal_flow import Scene
from tests.console_helpers import csrf_token, logged_in, page_text, submit_form
from tests.registry_helpers import event_types, row_counts

AMOUNTS = {
    "default-principal": "1000000.00",
    "default-interest": "50000.00",
    "default-penalties": "10000.00",
}
TERMS = {
    "disposal-method": "auction",
    "disposal-reserve_price": "800000.00",
    "disposal-costs": "20000.00",
    "disposal-announcement_days": "0",
}


@pytest.fixture
def scene(client, registry, keys):
    return Scene(client, registry, keys)


def default_path(scene) -> str:
    return f"/console/pledges/{scene.pledge['id']}/default"


def new_disposal_path(scene) -> str:
    return f"/console/pledges/{scene.pledge['id']}/disposals/new"


def test_a_clerk_declares_default_and_bad_input_changes_nothing(app, scene):
    clerk = logged_in(app.test_client(), app, "clerk")
    path = default_path(scene)
    page = page_text(clerk.get(path + "?lang=en"))
    assert "No default has been declared on this pledge." in page
    assert 'action="' + path + '"' in page  # the declare form, for a clerk
    before = row_counts(app)
    for fields, message in (
        ({"default-principal": "1.234"}, "at most 2 decimals"),
        ({"default-principal": ""}, "This field is required."),
        ({"default-principal": "Infinity"}, "at most 2 decimals"),
        ({"default-principal": "0", "default-interest": "0"}, "A default needs an amount"),
    ):
        answer = submit_form(clerk, path, path, fields)
        assert answer.status_code == 422, fields
        shown = page_text(answer)
        assert 'aria-invalid="true"' in shown and message in shown, fields
    assert clerk.post(path, data=AMOUNTS).status_code == 400  # no CSRF token: refused
    assert row_counts(app) == before

    answer = submit_form(clerk, path, path, AMOUNTS)
    assert answer.status_code == 302, page_text(answer)
    assert event_types(app)[-1] == "pledge.defaulted"
    declared = scene.get(f"/pledges/{scene.pledge['id']}/default")
    assert (declared["principal"], declared["interest"], declared["penalties"]) == (
        "1000000.00",
        "50000.00",
        "10000.00",
    )
    page = page_text(clerk.get(answer.headers["Location"]))
    assert "Default is declared." in page and "CN¥1,060,000.00" in page  # the total due
    assert f'href="{new_disposal_path(scene)}"' in page
    assert 'action="' + path + '"' not in page  # declared once: no second declaration


def test_the_console_leaves_the_same_ledger_events_as_the_api(app, client, registry, keys):
    by_api = Scene(client, registry, keys)
    start = len(event_types(app))
    by_api.default()
    disposal = by_api.open()
    by_api.bid(disposal, by_api.buyers[0], "1200000.00")
    by_api.close(disposal)
    api_events = event_types(app)[start:]

    scene = Scene(client, registry, keys)
    start = len(event_types(app))
    bank = logged_in(app.test_client(), app, "bank", scene.bank)
    assert submit_form(bank, default_path(scene), default_path(scene), AMOUNTS).status_code == 302
    clerk = logged_in(app.test_client(), app, "clerk")
    opened = submit_form(clerk, new_disposal_path(scene), new_disposal_path(scene), TERMS)
    assert opened.status_code == 302, page_text(opened)
    disposal_path = opened.headers["Location"]
    assert re.fullmatch(r"/console/disposals/\d+", disposal_path)
    bid = {"bid-bidder_id": str(scene.buyers[0]), "bid-amount": "1200000.00"}
    assert submit_form(clerk, disposal_path, f"{disposal_path}/bids", bid).status_code == 302
    assert submit_form(clerk, disposal_path, f"{disposal_path}/close", {}).status_code == 302

    assert event_types(app)[start:] == api_events
    assert "disposal.opened" in api_events and "disposal.sold" in api_events
    page = page_text(clerk.get(disposal_path + "?lang=en"))
    assert "Distribution statement" in page and "Surplus to the pledgor" in page


def test_opening_a_disposal_shows_the_use_cases_refusal_next_to_its_field(app, scene):
    scene.default()
    clerk = logged_in(app.test_client(), app, "clerk")
    path = new_disposal_path(scene)
    page = page_text(clerk.get(path + "?lang=en"))
    assert scene.assets[0]["number"] in page  # the pledge's asset, to tick or leave
    before = row_counts(app)
    no_reserve = {**TERMS, "disposal-reserve_price": ""}
    answer = submit_form(clerk, path, path, no_reserve)
    assert answer.status_code == 422
    shown = page_text(answer)
    assert re.search(
        r'id="disposal-reserve_price-error">No valuation of these assets is stored', shown
    )
    for fields in ({"disposal-costs": ""}, {"disposal-announcement_days": "91"}):
        assert submit_form(clerk, path, path, {**TERMS, **fields}).status_code == 422
    assert row_counts(app) == before
    chinese = submit_form(clerk, path + "?lang=zh", path, no_reserve)
    assert "这些资产没有已存的评估：请填写保留价。" in page_text(chinese)


def test_a_clerk_withdraws_an_open_disposal(app, scene):
    scene.default()
    disposal = scene.open()
    clerk = logged_in(app.test_client(), app, "clerk")
    path = f"/console/disposals/{disposal['id']}"
    before = row_counts(app)
    bad = submit_form(clerk, path, f"{path}/withdraw", {"withdraw-reason": "bored"})
    assert bad.status_code == 422 and row_counts(app) == before
    answer = submit_form(
        clerk, path + "?lang=en", f"{path}/withdraw", {"withdraw-reason": "court_order"}
    )
    assert answer.status_code == 302
    assert event_types(app)[-1] == "disposal.withdrawn"
    assert scene.get(f"/pledges/{scene.pledge['id']}")["status"] == "defaulted"
    page = page_text(clerk.get(path))
    assert "Withdrawn" in page and "A court stayed the disposal" in page
    assert f"{path}/withdraw" not in page and f"{path}/bids" not in page


def test_each_party_sees_and_may_take_only_its_own_steps(app, scene, registry):
    path = default_path(scene)
    owner = logged_in(app.test_client(), app, "owner", scene.owner)
    page = page_text(owner.get(path + "?lang=en"))
    assert 'action="' + path + '"' not in page  # the pledgor does not declare default
    assert f"/pledges/{scene.pledge['id']}/disposal-requests" in page
    before = row_counts(app)
    refused = owner.post(path, data={"csrf_token": csrf_token(page), **AMOUNTS})
    assert refused.status_code == 403 and "Your role may not do this." in page_text(refused)
    assert row_counts(app) == before
    request_path = f"/console/pledges/{scene.pledge['id']}/disposal-requests"
    early = submit_form(owner, path, request_path, {"request-note": "请及时处置"})
    assert early.status_code == 422 and "has not fallen due yet" in page_text(early)
    assert row_counts(app) == before

    bank = logged_in(app.test_client(), app, "bank", scene.bank)
    assert 'action="' + path + '"' in page_text(bank.get(path))
    assert submit_form(bank, path, path, AMOUNTS).status_code == 302
    assert "disposal.opened" not in event_types(app)
    assert new_disposal_path(scene) not in page_text(bank.get(path))  # only clerks open one
    assert bank.get(new_disposal_path(scene)).status_code == 403
    answer = submit_form(owner, path, request_path, {"request-note": "请及时处置"})
    assert answer.status_code == 302
    assert event_types(app)[-1] == "pledge.disposal_requested"

    auditor = logged_in(app.test_client(), app, "auditor")
    page = page_text(auditor.get(path))
    assert "form_once" not in page  # reads everything, acts on nothing
    stranger = logged_in(app.test_client(), app, "bank", registry.party("岭南银行"))
    assert stranger.get(path).status_code == 404


def test_the_dashboards_queues_lead_to_the_disposal_pages(app, client, registry, keys):
    waiting, selling = Scene(client, registry, keys), Scene(client, registry, keys)
    waiting.default()
    selling.default()
    disposal = selling.open()
    clerk = logged_in(app.test_client(), app, "clerk")
    dashboard = page_text(clerk.get("/console/"))
    defaults_link = "/console/pledges?status=defaulted"
    open_link = "/console/disposals?status=open"
    assert f'href="{defaults_link}"' in dashboard and f'href="{open_link}"' in dashboard
    defaulted = page_text(clerk.get(defaults_link))
    assert f'href="{new_disposal_path(waiting)}"' in defaulted
    assert waiting.pledge["registration_number"] in defaulted
    assert selling.pledge["registration_number"] not in defaulted  # in disposal already
    listed = page_text(clerk.get(open_link))
    assert f'href="/console/disposals/{disposal["id"]}"' in listed
    assert selling.pledge["registration_number"] in listed
