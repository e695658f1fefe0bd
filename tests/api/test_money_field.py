"""Money is a decimal string with at most two places; a positive amount is not zero. The OpenAPI
document states both rules as the `pattern` of every money field, and the service checks exactly
what the pattern says: an amount with spaces around it is refused (422), not trimmed."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from ipx.web.api import API_PREFIX
from ipx.web.fields import MONEY_PATTERN, POSITIVE_MONEY_PATTERN, Money
from tests.registry_helpers import assert_problem

ACCEPTED = ["1", "0.5", "1250000.00", "999999999999999.99", "007.10"]
ZEROS = ["0", "0.0", "0.00", "000.00"]
REFUSED = [
    " 1250000.00",
    "1250000.00 ",
    "\t100.00",
    "100.00\n",
    "1,000.00",
    "1.005",
    "-1.00",
    "+1.00",
    "1e3",
    ".50",
    "1.",
    "１００.００",  # full-width digits
    "1000000000000000.00",  # 16 digits before the point
    "",
]


def _ecma(pattern: str, text: str) -> bool:
    """How a JSON Schema validator reads ``pattern`` (anchored here by ^ and $; Python's $ also
    matches before a final newline, which ECMA-262's does not: compare with fullmatch)."""
    return re.fullmatch(pattern.removeprefix("^").removesuffix("$"), text) is not None


@pytest.mark.parametrize("text", ACCEPTED + ZEROS)
def test_money_takes_a_decimal_string(text):
    assert Money().deserialize(text) == Decimal(text)
    assert _ecma(MONEY_PATTERN.pattern, text)


@pytest.mark.parametrize("text", REFUSED)
def test_money_refuses_anything_else_and_the_pattern_agrees(text):
    for field in (Money(), Money(positive=True)):
        with pytest.raises(ValidationError):
            field.deserialize(text)
    assert not _ecma(MONEY_PATTERN.pattern, text)
    assert not _ecma(POSITIVE_MONEY_PATTERN.pattern, text)


@pytest.mark.parametrize("text", ZEROS)
def test_a_positive_amount_refuses_zero_and_its_pattern_says_so(text):
    with pytest.raises(ValidationError, match="greater than zero"):
        Money(positive=True).deserialize(text)
    assert not _ecma(POSITIVE_MONEY_PATTERN.pattern, text)


@pytest.mark.parametrize("text", ACCEPTED)
def test_a_positive_amount_takes_any_other_amount(text):
    assert Money(positive=True).deserialize(text) > 0
    assert _ecma(POSITIVE_MONEY_PATTERN.pattern, text)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_document_states_each_money_fields_pattern(client):
    schemas = client.get(f"{API_PREFIX}/openapi.json").get_json()["components"]["schemas"]
    application = schemas["ApplicationIn"]["properties"]["secured_amount"]
    assert application["type"] == "string"
    assert application["pattern"] == POSITIVE_MONEY_PATTERN.pattern
    assert "Greater than zero" in application["description"]
    disposal = schemas["DisposalIn"]["properties"]
    assert disposal["reserve_price"]["pattern"] == POSITIVE_MONEY_PATTERN.pattern
    assert disposal["costs"]["pattern"] == MONEY_PATTERN.pattern  # costs may be zero
    money_fields = [
        prop
        for schema in schemas.values()
        for prop in schema.get("properties", {}).values()
        if prop.get("pattern") in (MONEY_PATTERN.pattern, POSITIVE_MONEY_PATTERN.pattern)
    ]
    assert len(money_fields) > 20
    assert all(prop["type"] == "string" and prop.get("example") for prop in money_fields)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_amount_with_spaces_around_it_is_422(client, clerk, registry):
    owner, bank = registry.party(), registry.party("浦江商业银行")
    asset = registry.asset([owner])
    body = {"pledgor_id": owner, "pledgee_id": bank, "asset_ids": [asset["id"]]}
    refused = client.post(
        "/api/v1/pledge-applications",
        json={**body, "secured_amount": " 1250000.00 "},
        headers=clerk,
    )
    problem = assert_problem(refused, 422, "validation-failed")
    assert "secured_amount" in problem["errors"]
