"""A party's console page, and a clerk recording on it whether the party is a small or medium
firm (the eligibility support programmes read), as `PATCH /parties/{id}` does: the party
list shows the answer; a form without a source comes back with its message and records
nothing; a bank sees the page of a party it deals with, without the form."""

from __future__ import annotations

from tests.console_helpers import csrf_token, form_fields, logged_in, page_text
from tests.registry_helpers import event_types, row_counts

API = "/api/v1"


def _page(client, party_id: int) -> tuple[str, str, dict]:
    path = f"/console/parties/{party_id}"
    html = page_text(client.get(path + "?lang=en"))
    action = f"{path}/sme"
    return html, action, form_fields(html, action) if action in html else {}


def test_a_clerk_records_a_firm_as_small_or_medium(app, client, registry):
    party = registry.party("嘉定精工有限公司")
    clerk = logged_in(client, app, "clerk")
    html, action, hidden = _page(clerk, party)
    assert "Not recorded" in html
    sent = clerk.post(action, data={**hidden, "sme-sme": "yes", "sme-source": "中小企业声明函"})
    assert sent.status_code == 302, page_text(sent)
    answer = client.get(f"{API}/parties/{party}", headers=registry.clerk).get_json()
    assert (answer["sme"], answer["sme_source"]) == (True, "中小企业声明函")
    html, _, _ = _page(clerk, party)
    assert "The firm" in html and "中小企业声明函" in html
    listed = page_text(clerk.get("/console/parties?lang=en&q=" + "嘉定精工"))
    assert f'/console/parties/{party}"' in listed and "<td>Yes</td>" in listed
    assert event_types(app).count("party.sme_recorded") == 1


def test_without_a_source_the_form_comes_back_and_records_nothing(app, client, registry):
    party = registry.party()
    clerk = logged_in(client, app, "clerk")
    _, action, hidden = _page(clerk, party)
    before = row_counts(app)
    for data in ({"sme-sme": "no"}, {"sme-source": "名录"}):
        sent = clerk.post(action, data={**hidden, **data})
        assert sent.status_code == 422
        assert page_text(sent).count('class="field-error"') == 1
    assert row_counts(app) == before


def test_a_bank_sees_its_borrower_but_no_form_and_not_a_stranger(app, client, registry):
    owner, bank, stranger = registry.party(), registry.party(), registry.party()
    registry.pledge(owner, bank, [registry.asset([owner])["id"]])
    user = logged_in(client, app, "bank", bank)
    html, action, _ = _page(user, owner)
    assert action not in html
    data = {"csrf_token": csrf_token(html), "sme-sme": "yes", "sme-source": "x"}
    assert user.post(action, data=data).status_code == 403  # the role, not the CSRF check
    assert user.get(f"/console/parties/{stranger}").status_code == 404
    answer = client.get(f"{API}/parties/{owner}", headers=registry.clerk).get_json()
    assert answer["sme"] is None
