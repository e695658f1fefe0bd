"""The public encumbrance search by pledgor: any part of the name of at least 2 characters, in
any case, in the JSON API's public query and on the console's public page alike."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.console_helpers import page_text

URL = "/api/v1/public/encumbrances"


@pytest.fixture
def pledged(registry):
    owner = registry.party("Huadong Advanced Materials Co., Ltd. 华东材料科技")
    asset = registry.asset([owner])
    pledge = registry.pledge(owner, registry.party("工商银行上海分行"), [asset["id"]])
    return {"asset": asset, "pledge": pledge}


def _found(client, pledgor: str) -> list[str]:
    response = client.get(f"{URL}?pledgor={quote(pledgor)}")
    assert response.status_code == 200, response.get_json()
    return [item["registration_number"] for item in response.get_json()["items"]]


@pytest.mark.parametrize("part", ["advanced materials", "HUADONG", "材料科技", "华东", "co., ltd"])
def test_a_part_of_the_pledgors_name_finds_its_pledges_in_any_case(client, pledged, part):
    assert _found(client, part) == [pledged["pledge"]["registration_number"]]


@pytest.mark.parametrize("text", ["华", "H", "%", "_", "%%", "Materials%Co", "无此公司"])
def test_one_character_wildcards_and_other_names_find_nothing(client, pledged, text):
    assert _found(client, text) == []


def test_the_console_page_needs_no_login_and_names_its_checkpoint(client, pledged):
    response = client.get("/console/public?pledgor=" + quote("advanced mat"))
    assert response.status_code == 200
    html = page_text(response)
    assert pledged["pledge"]["registration_number"] in html
    assert "Huadong Advanced Materials" in html and pledged["asset"]["number"] in html
    assert "账本检查点" in html and "树大小" in html  # "Checkpoint of the ledger", "tree size"
    assert 'media="print"' in html and "print.css" in html
    assert "secured_amount" not in html and "5,000,000" not in html  # public facts only


def test_the_console_page_searches_by_number_in_any_spelling(client, pledged):
    number = pledged["asset"]["number"]
    response = client.get("/console/public?lang=en&number=" + quote(f"ZL{number}"))
    html = page_text(response)
    assert pledged["pledge"]["registration_number"] in html and "1 pledge found" in html
    assert "No pledge is registered" in page_text(client.get("/console/public?number=ZL1"))


def test_the_console_page_refuses_overlong_input_without_searching(client):
    html = page_text(client.get("/console/public?lang=en&pledgor=" + "x" * 301))
    assert "At most 300 characters." in html and "Search result" not in html
