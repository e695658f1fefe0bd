"""Webhook subscriptions in the console, as the API's `/subscriptions` calls make them: a bank
subscribes a URL (the signing secret shown once, on the answer, never cached or shown again),
sends a test event, redelivers, and deletes; bad input comes back next to its field; another
party's subscription is a 404."""

from __future__ import annotations

import re

import pytest

from tests.console_helpers import form_fields, logged_in, page_text
from tests.registry_helpers import row_counts

API = "/api/v1"
PAGE = "/console/subscriptions"
URL = "http://127.0.0.1:9/hooks/ipx"


@pytest.fixture
def loopback(app):
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    return app


def _subscribe(user, **data):
    hidden = form_fields(page_text(user.get(PAGE + "?lang=en")), PAGE)
    body = {**hidden, "url": URL, "events": ["pledge.registered", "pledge.cancelled"], **data}
    return user.post(PAGE, data=body)


def _subscribed_bank(loopback, client, registry, keys):
    """A bank logged in to the console with one subscription made there: (its console client,
    its API key's headers, the subscription as the API lists it)."""
    bank = registry.party()
    user = logged_in(client, loopback, "bank", bank)
    assert _subscribe(user).status_code == 201
    api = keys.header("bank", bank)
    [subscription] = client.get(f"{API}/subscriptions", headers=api).get_json()["items"]
    return user, api, subscription


def test_a_bank_subscribes_and_sees_the_secret_once(loopback, client, registry, keys):
    bank = registry.party()
    user = logged_in(client, loopback, "bank", bank)
    hidden = form_fields(page_text(user.get(PAGE + "?lang=en")), PAGE)
    body = {**hidden, "url": URL, "events": ["pledge.registered"]}
    made = user.post(PAGE, data=body)
    assert made.status_code == 201, page_text(made)
    assert made.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<code class="hash" id="secret">(whsec_[^<]+)</code>', page_text(made))
    assert secret is not None
    listed = client.get(f"{API}/subscriptions", headers=keys.header("bank", bank)).get_json()
    [subscription] = listed["items"]
    assert (subscription["url"], subscription["events"]) == (URL, ["pledge.registered"])
    again = user.post(PAGE, data=body)  # the same form sent twice: one subscription
    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/console/subscriptions/{listed['items'][0]['id']}")
    followed = page_text(user.get(again.headers["Location"] + "?lang=en"))
    assert "already sent" in followed and secret.group(1) not in followed
    cookies = " ".join(made.headers.getlist("Set-Cookie") + again.headers.getlist("Set-Cookie"))
    assert secret.group(1) not in cookies  # not carried in the session either
    assert (
        len(
            client.get(f"{API}/subscriptions", headers=keys.header("bank", bank)).get_json()[
                "items"
            ]
        )
        == 1
    )
    page = page_text(user.get(f"{PAGE}/{subscription['id']}?lang=en"))
    assert URL in page and secret.group(1) not in page


def test_bad_input_comes_back_next_to_its_field(app, client, registry):
    user = logged_in(client, app, "bank", registry.party())
    before = row_counts(app)
    no_events = _subscribe(user, events=[])
    assert no_events.status_code == 422
    assert "Choose at least one event." in page_text(no_events)
    loopback_refused = _subscribe(user)  # loopback is not called unless the operator allows it
    assert loopback_refused.status_code == 422
    html = page_text(loopback_refused)
    assert re.search(r'id="url-error">[^<]+<', html), html
    assert row_counts(app) == before


def test_test_event_redelivery_and_deletion(loopback, client, registry, keys):
    user, api, subscription = _subscribed_bank(loopback, client, registry, keys)
    page = f"{PAGE}/{subscription['id']}"
    hidden = form_fields(page_text(user.get(page + "?lang=en")), f"{page}/test")
    tested = user.post(f"{page}/test", data=hidden)
    assert tested.status_code == 302, page_text(tested)
    html = page_text(user.get(page + "?lang=en"))
    assert "A test event is queued." in html and "<code>subscription.test</code>" in html
    deliveries = client.get(f"{API}/subscriptions/{subscription['id']}/deliveries", headers=api)
    [delivery] = deliveries.get_json()["items"]
    action = f"{page}/deliveries/{delivery['id']}/redeliver"
    sent = user.post(action, data=form_fields(html, action))
    assert sent.status_code == 302, page_text(sent)
    assert "The delivery is queued again." in page_text(user.get(page + "?lang=en"))
    html = page_text(user.get(page + "?lang=en"))
    gone = user.post(f"{page}/delete", data=form_fields(html, f"{page}/delete"))
    assert gone.status_code == 302, page_text(gone)
    assert client.get(f"{API}/subscriptions", headers=api).get_json()["items"] == []


def test_another_partys_subscription_is_not_found(loopback, client, registry):
    bank = registry.party()
    first = logged_in(client, loopback, "bank", bank)
    assert _subscribe(first).status_code == 201
    other_client = loopback.test_client()
    other = logged_in(other_client, loopback, "owner", registry.party())
    listed = page_text(other.get(PAGE + "?lang=en"))
    assert URL not in listed
    found = re.search(r"/console/subscriptions/(\d+)", page_text(first.get(PAGE)))
    assert found is not None
    page = f"{PAGE}/{found.group(1)}"
    assert other.get(page).status_code == 404
    tokens = form_fields(listed, PAGE)  # the owner's own session's tokens, sent elsewhere
    assert other.post(f"{page}/delete", data=tokens).status_code == 404
    assert URL in page_text(first.get(page))  # still there


def test_a_clerk_subscribes_for_a_party_and_a_banks_party_id_is_its_own(
    loopback, client, registry, keys
):
    bank, other = registry.party(), registry.party()
    clerk = logged_in(client, loopback, "clerk")
    assert _subscribe(clerk, party_id=str(bank)).status_code == 201
    theirs = client.get(f"{API}/subscriptions", headers=keys.header("bank", bank)).get_json()
    assert [s["party_id"] for s in theirs["items"]] == [bank]
    banker = logged_in(loopback.test_client(), loopback, "bank", other)
    assert _subscribe(banker, party_id=str(bank)).status_code == 201  # (the field is not shown)
    own = client.get(f"{API}/subscriptions", headers=keys.header("bank", other)).get_json()
    assert [s["party_id"] for s in own["items"]] == [other]


def test_the_delivery_log_shows_the_latest_first(loopback, client, registry, keys):
    user, api, subscription = _subscribed_bank(loopback, client, registry, keys)
    for _ in range(2):
        sent = client.post(f"{API}/subscriptions/{subscription['id']}/test", headers=api)
        assert sent.status_code == 202
    ids = [
        d["id"]
        for d in client.get(
            f"{API}/subscriptions/{subscription['id']}/deliveries", headers=api
        ).get_json()["items"]
    ]
    html = page_text(user.get(f"{PAGE}/{subscription['id']}?lang=en"))
    shown = [int(i) for i in re.findall(r"/deliveries/(\d+)/redeliver", html)]
    assert shown == sorted(ids, reverse=True) and len(shown) == 2
    assert html.count('id="csrf_token"') <= 1  # the buttons' tokens carry no ids


def test_the_list_comes_in_pages(loopback, client, registry, monkeypatch):
    from ipx.console import reads

    bank = registry.party()
    user = logged_in(client, loopback, "bank", bank)
    for path in ("/one", "/two"):
        assert _subscribe(user, url=URL + path).status_code == 201
    monkeypatch.setattr(reads, "PAGE_SIZE", 1)
    first = page_text(user.get(PAGE + "?lang=en"))
    assert URL + "/one" in first and URL + "/two" not in first
    found = re.search(r'href="([^"]*)" rel="next"', first)
    assert found is not None
    second = page_text(user.get(found.group(1).replace("&amp;", "&")))
    assert URL + "/two" in second and URL + "/one" not in second
    assert 'rel="next"' not in second
