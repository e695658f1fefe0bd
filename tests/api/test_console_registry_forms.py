"""Console forms of the registry: parties and assets created by a clerk, bad input refused in
the user's language with nothing changed, CSRF, and the same ledger events as the API."""

from __future__ import annotations

import re
from datetime import date, timedelta

from ipx.registry.numbers import (
    make_identity_number,
    make_patent_number,
    patent_check_character,
)
from tests.console_helpers import csrf_token, form_fields, logged_in, page_text
from tests.registry_helpers import credit_code, event_types, row_counts

TODAY = date.today()


def submit(client, path: str, data: dict, form_page: str | None = None, **kwargs):
    """GET the form's page for its CSRF and one-time tokens, then POST the form."""
    page = page_text(client.get(form_page or path, **kwargs))
    return client.post(path, data={**form_fields(page, path), **data}, **kwargs)


def asset_form(holder: int, **overrides) -> dict:
    filing = TODAY - timedelta(days=3 * 365)
    form = {
        "kind": "invention",
        "number": make_patent_number(filing.year, 1, 4242),
        "title": "一种稀土永磁材料及其制备方法",
        "holder_ids": str(holder),
        "filing_date": filing.isoformat(),
        "grant_date": (filing + timedelta(days=700)).isoformat(),
        "status": "granted",
        "fees_paid_until": (TODAY + timedelta(days=200)).isoformat(),
        "ipc": "H01F 1/057",
        "claims": "10",
        "family_size": "2",
    }
    form.update(overrides)
    return form


def wrong_check(number: str) -> tuple[str, str]:
    """The number with a wrong check character, and the right one."""
    digits, right = number.split(".")
    wrong = "0" if right != "0" else "1"
    assert patent_check_character(digits) == right
    return f"{digits}.{wrong}", right


def test_a_clerk_registers_a_party_and_finds_it(app, client):
    clerk = logged_in(client, app, "clerk")
    code = credit_code()
    answer = submit(
        clerk,
        "/console/parties/new",
        {"kind": "organization", "name": "华东材料科技股份有限公司", "credit_code": code},
    )
    assert answer.status_code == 302, page_text(answer)
    listed = page_text(clerk.get(answer.headers["Location"]))
    assert "华东材料科技股份有限公司" in listed and code in listed
    assert event_types(app) == ["party.created"]


def test_a_clerk_registers_an_asset_and_sees_its_page(app, client, registry):
    owner = registry.party()
    clerk = logged_in(client, app, "clerk")
    form = asset_form(owner)
    answer = submit(clerk, "/console/assets/new", form)
    assert answer.status_code == 302, page_text(answer)
    page = page_text(clerk.get(answer.headers["Location"]))
    assert form["number"] in page and "一种稀土永磁材料" in page and "H01F 1/057" in page
    assert "未质押" in page  # free
    assert event_types(app)[-1] == "asset.registered"


def test_a_wrong_check_character_says_which_one_is_expected_in_the_users_language(
    app, client, registry
):
    owner = registry.party()
    clerk = logged_in(client, app, "clerk")
    number, right = wrong_check(asset_form(owner)["number"])
    before = row_counts(app)
    answer = submit(clerk, "/console/assets/new", asset_form(owner, number=number))
    assert answer.status_code == 422
    page = page_text(answer)
    assert f"应为 {right}" in page and 'aria-invalid="true"' in page
    english = submit(clerk, "/console/assets/new?lang=en", asset_form(owner, number=number))
    assert f"it must be {right}." in page_text(english)
    assert number in page_text(english)  # the input is kept for correcting
    assert row_counts(app) == before


def test_refusals_of_the_use_case_come_back_next_to_their_field(app, client, registry):
    owner = registry.party()
    clerk = logged_in(client, app, "clerk")
    before = row_counts(app)
    answer = submit(clerk, "/console/assets/new?lang=en", asset_form(owner, holder_ids="999999"))
    assert answer.status_code == 422
    page = page_text(answer)
    assert 'id="holder_ids-error"' in page and "No party with these ids: 999999." in page
    bad_code = submit(
        clerk,
        "/console/parties/new?lang=en",
        {"kind": "organization", "name": "某公司", "credit_code": "91110108A0000001XX"},
    )
    assert bad_code.status_code == 422
    assert 'id="credit_code-error"' in page_text(bad_code)
    identity = make_identity_number("110108", date(1990, 5, 17), 123)
    wrong = identity[:-1] + ("0" if identity[-1] != "0" else "1")
    bad_identity = submit(
        clerk,
        "/console/parties/new?lang=zh",
        {"kind": "individual", "name": "张三", "id_number": wrong},
    )
    assert bad_identity.status_code == 422
    message = re.search(r'id="id_number-error">([^<]*)<', page_text(bad_identity)).group(1)
    assert message == f"校验位错误：应为 {identity[-1]}。"  # personal data: never echoed
    assert row_counts(app) == before


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(app, client, registry):
    owner = registry.party()
    clerk = logged_in(client, app, "clerk")
    before = row_counts(app)
    for path, data in (
        ("/console/assets/new", asset_form(owner)),
        ("/console/parties/new", {"kind": "individual", "name": "张三"}),
    ):
        answer = clerk.post(path, data=data)
        assert answer.status_code == 400
        assert "未做任何更改" in page_text(answer)
        forged = clerk.post(path, data={**data, "csrf_token": "forged"})
        assert forged.status_code == 400
    assert row_counts(app) == before


def test_only_a_clerk_may_register_parties_and_assets(app, client, registry):
    owner = registry.party()
    bank = logged_in(client, app, "bank", registry.party("工商银行"))
    assert bank.get("/console/assets/new").status_code == 403
    assert bank.get("/console/parties").status_code == 403
    assert "/console/assets/new" not in page_text(bank.get("/console/assets"))
    before = row_counts(app)
    page = page_text(bank.get("/console/"))
    answer = bank.post(
        "/console/assets/new", data={"csrf_token": csrf_token(page), **asset_form(owner)}
    )
    assert answer.status_code == 403
    assert row_counts(app) == before
