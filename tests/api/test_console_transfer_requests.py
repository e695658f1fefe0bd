"""Transfer requests in the console: an owner asks on the asset's page, the pledgee bank
consents (the transfer is recorded) or declines with a reason, the asker withdraws; each role
sees the requests and the answers the API gives it, and a form sent by someone who may not
send it is refused with nothing changed."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from ipx.console import reads
from tests.console_helpers import csrf_token, form_fields, logged_in, page_text, submit_form
from tests.registry_helpers import event_types, row_counts

ASSETS, REQUESTS = "/console/assets", "/console/transfer-requests"
ASK_FORM = "Ask to transfer"
FORMS = {
    "consent": "Consent to the transfer",
    "decline": "Decline the transfer",
    "withdraw": "Withdraw the request",
}


@dataclass
class Cast:
    owner: int
    bank: int
    buyer: int
    asset: dict
    pledge: dict


@pytest.fixture
def cast(registry) -> Cast:
    """An owner's asset pledged to a bank, and a buyer to receive it."""
    owner, bank = registry.party("华东材料科技股份有限公司"), registry.party("工商银行上海分行")
    buyer = registry.party("岭南电子有限公司")
    asset = registry.asset([owner])
    return Cast(owner, bank, buyer, asset, registry.pledge(owner, bank, [asset["id"]]))


def user(app, role: str, party: int | None = None):
    return logged_in(app.test_client(), app, role, party)


def ask(client, asset_id: int, to: int, kind: str = "assignment") -> str:
    """Ask on the asset's page; the request's page it leads to."""
    path = f"{ASSETS}/{asset_id}"
    answer = submit_form(
        client, path, f"{path}/transfer-requests", {"ask-kind": kind, "ask-to_party_ids": str(to)}
    )
    assert answer.status_code == 302, page_text(answer)
    assert re.fullmatch(rf"{REQUESTS}/\d+", answer.headers["Location"])
    return answer.headers["Location"]


def english(client, path: str) -> str:
    return page_text(client.get(f"{path}?lang=en"))


def forms_shown(page: str) -> set[str]:
    return {name for name, words in FORMS.items() if words in page}


def holders(registry, asset_id: int) -> list[int]:
    answer = registry.client.get(f"/api/v1/assets/{asset_id}", headers=registry.clerk)
    return answer.get_json()["holder_ids"]


def test_the_owner_asks_the_bank_consents_and_the_transfer_is_recorded(app, registry, cast):
    owner, bank = user(app, "owner", cast.owner), user(app, "bank", cast.bank)
    asset_path = f"{ASSETS}/{cast.asset['id']}"
    assert ASK_FORM in english(owner, asset_path)
    assert ASK_FORM not in english(bank, asset_path)
    request = ask(owner, cast.asset["id"], cast.buyer)
    assert event_types(app)[-1] == "transfer.requested"
    page = english(owner, request)
    assert (
        "Awaiting the pledgee&#39;s consent" in page and cast.pledge["registration_number"] in page
    )
    assert forms_shown(page) == {"withdraw"}
    # The asset's page leads to the request that awaits, and offers no second ask.
    shown = english(owner, asset_path)
    assert f'href="{request}"' in shown and ASK_FORM not in shown
    assert forms_shown(english(bank, request)) == {"consent", "decline"}
    answer = submit_form(
        bank,
        request,
        f"{request}/consent",
        {"consent-proceeds": "early_repayment", "consent-proceeds_amount": "1000000.00"},
    )
    assert answer.status_code == 302, page_text(answer)
    assert holders(registry, cast.asset["id"]) == [cast.buyer]
    assert event_types(app)[-3:] == [
        "asset.assignment",
        "pledge.proceeds_early_repayment",
        "transfer.consented",
    ]
    done = english(bank, request)
    assert "Consented: transfer recorded" in done and "The transfer recorded" in done
    assert "Early repayment of the secured debt" in done
    assert forms_shown(done) == set()
    # The bank is not shown the buyer's name (as the API does not); the clerk is.
    assert f"Party {cast.buyer}" in done and "岭南电子有限公司" not in done
    assert "岭南电子有限公司" in english(user(app, "clerk"), request)


def test_a_decline_needs_its_reason_and_a_bad_one_changes_nothing(app, registry, cast):
    request = ask(user(app, "owner", cast.owner), cast.asset["id"], cast.buyer)
    bank = user(app, "bank", cast.bank)
    stale = form_fields(page_text(bank.get(request)), f"{request}/consent")
    before = row_counts(app)
    for reason in ("", "   "):
        refused = submit_form(
            bank, f"{request}?lang=en", f"{request}/decline", {"decline-reason": reason}
        )
        assert refused.status_code == 422
        page = page_text(refused)
        assert re.search(r'id="decline-reason-error">This field is required\.<', page)
        assert "Some of the input is not valid" in page
    assert row_counts(app) == before
    answer = submit_form(
        bank, request, f"{request}/decline", {"decline-reason": "贷款尚未清偿，不同意转让"}
    )
    assert answer.status_code == 302, page_text(answer)
    assert event_types(app)[-1] == "transfer.declined"
    page = english(bank, request)
    assert "Declined by the pledgee" in page and "贷款尚未清偿，不同意转让" in page
    assert forms_shown(page) == set()
    assert holders(registry, cast.asset["id"]) == [cast.owner]
    # A consent sent from a page shown before the decline: refused above the form, no change.
    before = row_counts(app)
    again = bank.post(f"{request}/consent?lang=en", data={**stale, "consent-proceeds": "escrow"})
    assert again.status_code == 422
    assert "The record&#39;s current state does not allow this." in page_text(again)
    assert row_counts(app) == before


def test_the_asker_withdraws_and_may_ask_again(app, registry, cast):
    owner = user(app, "owner", cast.owner)
    request = ask(owner, cast.asset["id"], cast.buyer, kind="licence")
    answer = submit_form(owner, request, f"{request}/withdraw", {"withdraw-reason": "交易取消"})
    assert answer.status_code == 302, page_text(answer)
    assert event_types(app)[-1] == "transfer.withdrawn"
    page = english(owner, request)
    assert "Withdrawn" in page and "交易取消" in page and forms_shown(page) == set()
    assert ASK_FORM in english(owner, f"{ASSETS}/{cast.asset['id']}")
    assert holders(registry, cast.asset["id"]) == [cast.owner]


def test_another_bank_sees_nothing_and_no_one_else_may_answer(app, registry, cast):
    co_holder = registry.party("深圳新材料有限公司")
    shared = registry.asset([cast.owner, co_holder])
    registry.pledge(cast.owner, cast.bank, [shared["id"]], co_owner_consent_ids=[co_holder])
    request = ask(user(app, "owner", cast.owner), shared["id"], cast.buyer)
    # Another bank, with a request of its own to answer: the form of that one, sent here.
    other = registry.party("建设银行广州分行")
    own = registry.asset([co_holder])
    registry.pledge(co_holder, other, [own["id"]])
    co_owner = user(app, "owner", co_holder)
    its_own = ask(co_owner, own["id"], cast.buyer)
    other_bank = user(app, "bank", other)
    owner, bank, auditor = (
        user(app, "owner", cast.owner),
        user(app, "bank", cast.bank),
        user(app, "auditor"),
    )
    assert other_bank.get(request).status_code == 404
    listed = page_text(other_bank.get(REQUESTS))
    assert f'href="{its_own}"' in listed and f'href="{request}"' not in listed
    before = row_counts(app)
    fields = form_fields(page_text(other_bank.get(its_own)), f"{its_own}/consent")
    answer = other_bank.post(f"{request}/consent", data={**fields, "consent-proceeds": "escrow"})
    assert answer.status_code == 404
    # The co-holder sees the request but did not make it: no withdrawal shown, and refused.
    page = english(co_owner, request)
    assert "Awaiting the pledgee" in page and forms_shown(page) == set()
    fields = form_fields(page_text(co_owner.get(its_own)), f"{its_own}/withdraw")
    assert co_owner.post(f"{request}/withdraw", data=fields).status_code == 403
    # Roles whose use case takes no such answer are refused before it runs.
    token = csrf_token(page_text(owner.get(request)))
    data = {"csrf_token": token, "consent-proceeds": "escrow"}
    assert owner.post(f"{request}/consent", data=data).status_code == 403
    assert owner.post(f"{request}/decline", data=data).status_code == 403
    token = csrf_token(page_text(bank.get(request)))
    assert bank.post(f"{request}/withdraw", data={"csrf_token": token}).status_code == 403
    ask_data = {"csrf_token": token, "ask-kind": "assignment", "ask-to_party_ids": "1"}
    assert bank.post(f"{ASSETS}/{shared['id']}/transfer-requests", data=ask_data).status_code == 403
    assert forms_shown(english(auditor, request)) == set()
    assert row_counts(app) == before


def test_a_clerk_asks_for_the_holder_and_records_the_banks_written_consent(app, registry, cast):
    clerk = user(app, "clerk")
    asset_page = english(clerk, f"{ASSETS}/{cast.asset['id']}")
    assert ASK_FORM in asset_page and "Record a transfer or licence" in asset_page
    request = ask(clerk, cast.asset["id"], cast.buyer)
    page = english(clerk, request)
    assert "Registry clerk" in page and forms_shown(page) == set(FORMS)
    refused = submit_form(
        clerk, f"{request}?lang=en", f"{request}/consent", {"consent-proceeds": ""}
    )
    assert refused.status_code == 422 and 'id="consent-proceeds-error"' in page_text(refused)
    answer = submit_form(clerk, request, f"{request}/consent", {"consent-proceeds": "escrow"})
    assert answer.status_code == 302, page_text(answer)
    assert holders(registry, cast.asset["id"]) == [cast.buyer]
    assert event_types(app)[-2:] == ["asset.assignment", "transfer.consented"]


def test_no_ask_is_offered_for_a_free_asset_and_one_sent_anyway_changes_nothing(
    app, registry, cast
):
    free = registry.asset([cast.owner])
    owner = user(app, "owner", cast.owner)
    assert ASK_FORM not in english(owner, f"{ASSETS}/{free['id']}")
    stranger = user(app, "owner", cast.buyer)
    answer = stranger.get(f"{ASSETS}/{cast.asset['id']}?lang=en")
    assert answer.status_code == 404 or ASK_FORM not in page_text(answer)
    # The pledged asset's form, sent for the free one: the use case's refusal, above it.
    before = row_counts(app)
    pledged = f"{ASSETS}/{cast.asset['id']}"
    fields = form_fields(page_text(owner.get(pledged)), f"{pledged}/transfer-requests")
    answer = owner.post(
        f"{ASSETS}/{free['id']}/transfer-requests?lang=en",
        data={**fields, "ask-kind": "assignment", "ask-to_party_ids": str(cast.buyer)},
    )
    assert answer.status_code == 422
    assert "The asset is not pledged: record the transfer directly." in page_text(answer)
    # Bad input comes back next to its field.
    answer = submit_form(
        owner, f"{pledged}?lang=en", f"{pledged}/transfer-requests", {"ask-kind": "x"}
    )
    assert answer.status_code == 422 and 'id="ask-to_party_ids-error"' in page_text(answer)
    assert row_counts(app) == before


def test_each_role_lists_the_requests_it_may_see_by_state_and_by_page(
    app, registry, cast, monkeypatch
):
    second = registry.asset([cast.owner])
    registry.pledge(cast.owner, cast.bank, [second["id"]])
    owner = user(app, "owner", cast.owner)
    first_request, second_request = (
        ask(owner, asset["id"], cast.buyer) for asset in (cast.asset, second)
    )
    submit_form(owner, second_request, f"{second_request}/withdraw", {})
    other_bank = user(app, "bank", registry.party("建设银行广州分行"))
    for who in (owner, user(app, "bank", cast.bank), user(app, "clerk"), user(app, "auditor")):
        page = english(who, REQUESTS)
        assert f'href="{first_request}"' in page and f'href="{second_request}"' in page
        assert f'<a href="{REQUESTS}" aria-current="page">Transfer requests</a>' in page
        waiting = page_text(who.get(f"{REQUESTS}?status=awaiting_consent&lang=en"))
        assert f'href="{first_request}"' in waiting and f'href="{second_request}"' not in waiting
    assert "No transfer requests." in english(other_bank, REQUESTS)
    unknown = page_text(owner.get(f"{REQUESTS}?status=nonsense"))  # ignored: every state
    assert f'href="{second_request}"' in unknown
    monkeypatch.setattr(reads, "PAGE_SIZE", 1)
    page = page_text(owner.get(REQUESTS))
    assert f'href="{first_request}"' in page and f'href="{second_request}"' not in page
    following = re.search(r'href="([^"]*cursor=[^"]*)" rel="next"', page).group(1)
    page = page_text(owner.get(following.replace("&amp;", "&")))
    assert f'href="{second_request}"' in page and f'href="{first_request}"' not in page
    assert 'rel="next"' not in page
    chinese = page_text(owner.get(f"{REQUESTS}?lang=zh"))
    assert "<h1>转让申请</h1>" in chinese and "已撤回" in chinese


def test_a_co_holder_who_is_not_the_pledgor_is_offered_the_ask(app, registry, cast):
    """Any holder may ask (the use case's rule), though an owner sees only the pledges it is a
    party to: the page asks the use case, not the pledges the co-holder can see."""
    co_holder = registry.party("深圳新材料有限公司")
    shared = registry.asset([cast.owner, co_holder])
    registry.pledge(cast.owner, cast.bank, [shared["id"]], co_owner_consent_ids=[co_holder])
    assert ASK_FORM in english(user(app, "owner", co_holder), f"{ASSETS}/{shared['id']}")


def test_a_signalling_nan_amount_is_a_field_message_not_an_error_page(app, registry, cast):
    """WTForms' NumberRange raises on Decimal("sNaN"); the money check before it stops the
    chain, so the form comes back with its message."""
    owner, bank = user(app, "owner", cast.owner), user(app, "bank", cast.bank)
    request = ask(owner, cast.asset["id"], cast.buyer)
    before = row_counts(app)
    answer = submit_form(
        bank,
        request,
        f"{request}/consent",
        {"consent-proceeds": "early_repayment", "consent-proceeds_amount": "sNaN"},
    )
    assert answer.status_code == 422
    assert page_text(answer).count('class="field-error"') == 1
    assert row_counts(app) == before
