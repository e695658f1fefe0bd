"""A console form acts once: posted twice (a double click, back and send again), even at the
same moment, it leaves one ledger event; a post that failed spends nothing; a form without
its one-time token, or with one of another session, is refused and changes nothing."""

from __future__ import annotations

import re
import threading

import requests

from tests.console_helpers import (
    PASSWORD,
    console_user,
    form_fields,
    logged_in,
    page_text,
    post_login,
)
from tests.http_race import serving
from tests.registry_helpers import event_types, row_counts

FREEZE = {"freeze-court": "上海市浦东新区人民法院", "freeze-order_number": "(2026)沪0115执保1号"}


def freeze_form(client, asset_id: int) -> tuple[str, dict]:
    path = f"/console/assets/{asset_id}"
    page = page_text(client.get(path + "?lang=en"))
    return f"{path}/freezes", form_fields(page, f"{path}/freezes")


def test_the_same_form_posted_twice_acts_once(app, client, registry):
    asset = registry.asset([registry.party()])
    clerk = logged_in(client, app, "clerk")
    action, hidden = freeze_form(clerk, asset["id"])
    first = clerk.post(action, data={**hidden, **FREEZE})
    assert first.status_code == 302, page_text(first)
    again = clerk.post(action, data={**hidden, **FREEZE})
    assert again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert event_types(app).count("asset.frozen") == 1
    shown = page_text(clerk.get(again.headers["Location"]))
    assert "This form was already sent: it was acted on once, not again." in shown
    assert len(re.findall(r"/freezes/\d+/lift", shown)) == 1
    # Changed and sent again from the same page (back, edit, send): still the one freeze.
    edited = clerk.post(action, data={**hidden, **FREEZE, "freeze-order_number": "(2026)2号"})
    assert edited.status_code == 303
    assert event_types(app).count("asset.frozen") == 1
    # A fresh page's form is a new form.
    action, hidden = freeze_form(clerk, asset["id"])
    assert clerk.post(action, data={**hidden, **FREEZE}).status_code == 302
    assert event_types(app).count("asset.frozen") == 2


def test_a_post_that_failed_spends_nothing(app, client, registry):
    asset = registry.asset([registry.party()])
    clerk = logged_in(client, app, "clerk")
    action, hidden = freeze_form(clerk, asset["id"])
    before = row_counts(app)
    refused = clerk.post(action, data={**hidden, "freeze-court": ""})
    assert refused.status_code == 422 and row_counts(app) == before
    corrected = clerk.post(action, data={**hidden, **FREEZE})
    assert corrected.status_code == 302
    assert event_types(app)[-1] == "asset.frozen"


def test_a_form_without_a_valid_one_time_token_is_refused(app, client, registry):
    asset = registry.asset([registry.party()])
    username = console_user(app, "clerk")
    assert post_login(client, username).status_code == 302
    action, hidden = freeze_form(client, asset["id"])
    nonce, signature = hidden["form_once"].split(".")
    before = row_counts(app)
    for token in (None, "", "x", f"{nonce}.{'0' * 32}", f"{'A' * 22}.{signature}"):
        data = {**hidden, **FREEZE}
        if token is None:
            del data["form_once"]
        else:
            data["form_once"] = token
        answer = client.post(action + "?lang=en", data=data)
        assert answer.status_code == 400, token
        assert "Nothing was changed." in page_text(answer)
    # The same user logged in elsewhere: a token shown to the first session is not the
    # second's (each form token is bound to the session it was shown in).
    elsewhere = app.test_client()
    assert post_login(elsewhere, username).status_code == 302
    _action, own = freeze_form(elsewhere, asset["id"])
    stolen = elsewhere.post(action, data={**own, **FREEZE, "form_once": hidden["form_once"]})
    assert stolen.status_code == 400
    assert row_counts(app) == before
    assert elsewhere.post(action, data={**own, **FREEZE}).status_code == 302  # its own works


def test_a_double_click_on_a_real_server_acts_once(app, registry):
    """Two posts of one form at the same moment, each on its own connection: the second
    waits for the first's transaction, finds the token spent and does nothing."""
    asset = registry.asset([registry.party()])
    username = console_user(app, "clerk")
    with serving(app) as port:
        base = f"http://127.0.0.1:{port}"
        browser = requests.Session()
        login = browser.get(f"{base}/console/login")
        token = form_fields(login.text, "/console/login")
        browser.post(
            f"{base}/console/login", data={**token, "username": username, "password": PASSWORD}
        )
        page = browser.get(f"{base}/console/assets/{asset['id']}")
        action = f"/console/assets/{asset['id']}/freezes"
        data = {**form_fields(page.text, action), **FREEZE}
        barrier, answers = threading.Barrier(2), []

        def click() -> None:
            barrier.wait(timeout=30)
            answer = browser.post(base + action, data=data, allow_redirects=False, timeout=60)
            answers.append(answer.status_code)

        clicks = [threading.Thread(target=click) for _ in range(2)]
        for thread in clicks:
            thread.start()
        for thread in clicks:
            thread.join(timeout=90)
    assert sorted(answers) == [302, 303]
    assert event_types(app).count("asset.frozen") == 1
