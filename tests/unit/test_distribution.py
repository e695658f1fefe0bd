"""Distribution of disposal proceeds: legal order, exact cents, shortfall and partial sales."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipx.registry.disposal.distribution import (
    LEGAL_ORDER,
    InvalidAmount,
    apply_partial_sale,
    distribute,
    money,
)

IDS = {"pledgee_id": 7, "pledgor_id": 3, "costs_payee_id": "exchange"}
PAYEE = {"costs": "exchange", "interest_penalties": 7, "principal": 7, "surplus": 3}

# cents up to a billion yuan, with small values and exact ties drawn often by hypothesis
amounts = st.integers(0, 100_000_000_000).map(lambda cents: Decimal(cents).scaleb(-2))


def _check_statement(statement, price, due) -> None:
    lines = statement.lines
    assert all(line.amount > 0 for line in lines)
    assert all(line.amount == line.amount.quantize(Decimal("0.01")) for line in lines)
    assert sum(line.amount for line in lines) == price
    kinds = [line.kind for line in lines]
    assert kinds == sorted(kinds, key=LEGAL_ORDER.index) and len(set(kinds)) == len(kinds)
    assert all(line.payee_id == PAYEE[line.kind] for line in lines)
    # a later kind is paid only if every earlier kind is paid in full
    for i, kind in enumerate(LEGAL_ORDER[:3]):
        if statement.paid(kind) < due[i]:
            assert all(statement.paid(later) == 0 for later in LEGAL_ORDER[i + 1 :])


@given(amounts, amounts, amounts, amounts)
def test_any_final_sale_is_distributed_exactly_in_legal_order(price, costs, interest, principal):
    statement = distribute(price, costs, interest, principal, **IDS)
    _check_statement(statement, price, (costs, interest, principal))
    debt = costs + interest + principal
    assert statement.shortfall == max(Decimal(0), debt - price)
    assert statement.paid("surplus") == max(Decimal(0), price - debt)
    assert statement.unpaid.total == statement.shortfall


@given(amounts, amounts, amounts, amounts)
def test_partial_sale_leaves_the_unpaid_debt_secured(price, costs, interest, principal):
    sale = apply_partial_sale(price, costs, interest, principal, **IDS)
    _check_statement(sale.statement, price, (costs, interest, principal))
    assert sale.statement.shortfall == 0
    for kind, due in zip(LEGAL_ORDER[:3], (costs, interest, principal), strict=True):
        assert sale.statement.paid(kind) + getattr(sale.remaining, kind) == due
    assert sale.settled == (price >= costs + interest + principal)


def test_worked_example_with_a_shortfall() -> None:
    statement = distribute("900000.00", "35000.50", "64999.50", "1000000", **IDS)
    assert statement.to_dict() == {
        "price": "900000.00",
        "lines": [
            {"kind": "costs", "payee_id": "exchange", "amount": "35000.50"},
            {"kind": "interest_penalties", "payee_id": 7, "amount": "64999.50"},
            {"kind": "principal", "payee_id": 7, "amount": "800000.00"},
        ],
        "shortfall": "200000.00",
    }


def test_worked_example_with_a_surplus() -> None:
    statement = distribute(Decimal("1500000.01"), 0, "1000.00", "1000000.00", **IDS)
    assert [(line.kind, str(line.amount)) for line in statement.lines] == [
        ("interest_penalties", "1000.00"),
        ("principal", "1000000.00"),
        ("surplus", "499000.01"),
    ]
    assert statement.shortfall == 0


def test_price_below_costs_pays_costs_only() -> None:
    statement = distribute("10.00", "25.00", "5.00", "100.00", **IDS)
    assert [(line.kind, line.amount) for line in statement.lines] == [("costs", Decimal("10.00"))]
    assert statement.shortfall == Decimal("120.00")
    assert statement.unpaid.costs == Decimal("15.00")


def test_two_partial_sales_then_nothing_left() -> None:
    first = apply_partial_sale("600.00", "50.00", "100.00", "1000.00", **IDS)
    assert not first.settled
    rest = first.remaining
    assert (rest.costs, rest.interest_penalties, rest.principal) == (0, 0, Decimal("550.00"))
    second = apply_partial_sale("700.00", "20.00", rest.interest_penalties, rest.principal, **IDS)
    assert second.settled
    assert second.statement.paid("surplus") == Decimal("130.00")


@pytest.mark.parametrize(
    "bad",
    [-1, "-0.01", "NaN", "Infinity", "1.005", 1.5, True, None, "abc", "1e18", [1]],
)
def test_bad_amounts_are_refused(bad) -> None:
    with pytest.raises(InvalidAmount):
        distribute(bad, 0, 0, 0, **IDS)
    with pytest.raises(InvalidAmount):
        distribute(0, 0, 0, bad, **IDS)


@pytest.mark.parametrize(
    ("raw", "cents"),
    [("1250000", "1250000.00"), (" 1.5 ", "1.50"), ("1.000", "1.00"), ("-0", "0.00"), (7, "7.00")],
)
def test_money_quantizes_exact_values(raw, cents) -> None:
    assert str(money(raw)) == cents


@given(amounts, amounts, amounts, st.integers(-300, 300))
def test_prices_near_each_boundary(costs, interest, principal, delta_cents) -> None:
    delta = Decimal(delta_cents).scaleb(-2)
    for boundary in (costs, costs + interest, costs + interest + principal):
        price = max(Decimal("0.00"), boundary + delta)
        statement = distribute(price, costs, interest, principal, **IDS)
        _check_statement(statement, price, (costs, interest, principal))
        assert statement.shortfall == max(Decimal(0), costs + interest + principal - price)
