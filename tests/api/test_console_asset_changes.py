"""A clerk changes an asset's legal status, fees paid or pending invalidation on its console
page, as `PATCH /assets/{id}` does: the form shows the asset as it stands, records only what
differs (one `asset.changed` event), says so when nothing differs, and re-renders with its
field messages when the input is bad, recording nothing. Other roles see no form."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.console_helpers import csrf_token, form_fields, logged_in, page_text
from tests.registry_helpers import event_types, row_counts

API = "/api/v1"


def _page(client, asset_id: int) -> tuple[str, str, dict]:
    path = f"/console/assets/{asset_id}"
    html = page_text(client.get(path + "?lang=en"))
    return html, f"{path}/changes", form_fields(html, f"{path}/changes")


def _asset(client, registry, asset_id: int) -> dict:
    return client.get(f"{API}/assets/{asset_id}", headers=registry.clerk).get_json()


def test_the_form_shows_the_asset_and_records_what_differs(app, client, registry):
    asset = registry.asset([registry.party()])
    clerk = logged_in(client, app, "clerk")
    html, action, hidden = _page(clerk, asset["id"])
    assert f'value="{asset["fees_paid_until"]}"' in html  # filled with the asset's facts
    assert re.search(r'<option selected value="granted">|<option value="granted" selected', html)
    paid = (registry.today + timedelta(days=500)).isoformat()
    sent = clerk.post(
        action,
        data={
            **hidden,
            "change-status": "granted",
            "change-fees_paid_until": paid,
            "change-invalidation_pending": "y",
        },
    )
    assert sent.status_code == 302, page_text(sent)
    assert "The change is recorded." in page_text(clerk.get(sent.headers["Location"]))
    now = _asset(client, registry, asset["id"])
    assert (now["fees_paid_until"], now["invalidation_pending"]) == (paid, True)
    history = client.get(f"{API}/assets/{asset['id']}/history", headers=registry.clerk)
    [changed] = [e for e in history.get_json()["items"] if e["type"] == "asset.changed"]
    assert changed["changes"] == {"fees_paid_until": paid, "invalidation_pending": True}


def test_the_form_sent_as_shown_records_nothing(app, client, registry):
    asset = registry.asset([registry.party()])
    clerk = logged_in(client, app, "clerk")
    _, action, hidden = _page(clerk, asset["id"])
    before = event_types(app)
    sent = clerk.post(
        action,
        data={
            **hidden,
            "change-status": "granted",
            "change-fees_paid_until": asset["fees_paid_until"],
        },
    )
    assert sent.status_code == 302
    assert "Nothing changed" in page_text(clerk.get(sent.headers["Location"]))
    assert event_types(app) == before


def test_bad_input_comes_back_with_its_message_and_records_nothing(app, client, registry):
    asset = registry.asset([registry.party()])
    clerk = logged_in(client, app, "clerk")
    _, action, hidden = _page(clerk, asset["id"])
    before = row_counts(app)
    sent = clerk.post(
        action,
        data={**hidden, "change-status": "sold", "change-fees_paid_until": "2026-13-40"},
    )
    assert sent.status_code == 422
    html = page_text(sent)
    assert html.count('class="field-error"') == 2  # the status and the date, each at its field
    assert row_counts(app) == before
    assert _asset(client, registry, asset["id"])["status"] == "granted"


def test_a_bank_or_an_owner_sees_no_form_and_may_not_send_one(app, client, registry, keys):
    owner = registry.party()
    asset = registry.asset([owner])
    user = logged_in(client, app, "owner", owner)
    html = page_text(user.get(f"/console/assets/{asset['id']}?lang=en"))
    assert f"/console/assets/{asset['id']}/changes" not in html
    token = csrf_token(html)  # the session's: the role, not the CSRF check, refuses
    refused = user.post(
        f"/console/assets/{asset['id']}/changes",
        data={"csrf_token": token, "change-status": "lapsed"},
    )
    assert refused.status_code == 403
    assert _asset(client, registry, asset["id"])["status"] == "granted"


def test_a_form_shown_before_another_change_cannot_undo_it(app, client, registry):
    asset = registry.asset([registry.party()])
    clerk = logged_in(client, app, "clerk")
    _, action, hidden = _page(clerk, asset["id"])  # shown while the right is granted
    lapsed = client.patch(
        f"{API}/assets/{asset['id']}", json={"status": "lapsed"}, headers=registry.clerk
    )
    assert lapsed.status_code == 200
    before = event_types(app)
    paid = (registry.today + timedelta(days=400)).isoformat()
    sent = clerk.post(
        action, data={**hidden, "change-status": "granted", "change-fees_paid_until": paid}
    )
    assert sent.status_code == 409
    html = page_text(sent)
    assert "The asset changed since this form was shown" in html
    assert re.search(r'<option selected value="lapsed">|<option value="lapsed" selected', html)
    assert event_types(app) == before
    assert _asset(client, registry, asset["id"])["status"] == "lapsed"


def test_an_empty_date_leaves_the_fees_paid_as_they_are(app, client, registry):
    asset = registry.asset([registry.party()])
    clerk = logged_in(client, app, "clerk")
    _, action, hidden = _page(clerk, asset["id"])
    sent = clerk.post(
        action,
        data={
            **hidden,
            "change-status": "granted",
            "change-fees_paid_until": "",
            "change-invalidation_pending": "y",
        },
    )
    assert sent.status_code == 302, page_text(sent)
    now = _asset(client, registry, asset["id"])
    assert (now["fees_paid_until"], now["invalidation_pending"]) == (asset["fees_paid_until"], True)
