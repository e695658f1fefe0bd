"""The pure rules of disposal: states, bid acceptance, the winning bid, final sales."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipx.registry.disposal.distribution import apply_partial_sale, distribute
from ipx.registry.disposal.model import (
    DISPOSAL_TRANSITIONS,
    BidFacts,
    BidRefusal,
    DisposalFacts,
    DisposalMethod,
    DisposalStatus,
    bid_refusal,
    close_outcome,
    is_final_sale,
    winning_bid,
)
from ipx.registry.model import PLEDGE_TRANSITIONS, PledgeStatus, can_move

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PLEDGOR, PLEDGEE, BUYER = 1, 2, 3


def facts(**overrides) -> DisposalFacts:
    values = {
        "method": DisposalMethod.AUCTION,
        "status": DisposalStatus.OPEN,
        "reserve_price": Decimal("100.00"),
        "bids_open_at": NOW,
        "pledgor_id": PLEDGOR,
        "pledgee_id": PLEDGEE,
        "best_amount": None,
    }
    return DisposalFacts(**(values | overrides))


def test_a_closed_disposal_stays_closed():
    assert DISPOSAL_TRANSITIONS[DisposalStatus.SOLD] == set()
    assert DISPOSAL_TRANSITIONS[DisposalStatus.FAILED] == set()
    assert DISPOSAL_TRANSITIONS[DisposalStatus.WITHDRAWN] == set()
    assert DISPOSAL_TRANSITIONS[DisposalStatus.OPEN] == {
        DisposalStatus.SOLD,
        DisposalStatus.FAILED,
        DisposalStatus.WITHDRAWN,
    }


def test_the_pledge_path_through_disposal():
    path = [
        PledgeStatus.REGISTERED,
        PledgeStatus.DEFAULTED,
        PledgeStatus.IN_DISPOSAL,
        PledgeStatus.REALIZED,
        PledgeStatus.CANCELLED,
    ]
    assert all(can_move(PLEDGE_TRANSITIONS, a, b) for a, b in zip(path, path[1:], strict=False))
    assert can_move(PLEDGE_TRANSITIONS, PledgeStatus.IN_DISPOSAL, PledgeStatus.DEFAULTED)
    assert not can_move(PLEDGE_TRANSITIONS, PledgeStatus.REGISTERED, PledgeStatus.IN_DISPOSAL)


@pytest.mark.parametrize(
    ("overrides", "bidder", "amount", "at", "refusal"),
    [
        ({"status": DisposalStatus.SOLD}, BUYER, "500.00", NOW, BidRefusal.CLOSED),
        ({"status": DisposalStatus.FAILED}, BUYER, "500.00", NOW, BidRefusal.CLOSED),
        ({}, BUYER, "500.00", NOW - timedelta(seconds=1), BidRefusal.NOT_OPEN_YET),
        ({}, PLEDGOR, "500.00", NOW, BidRefusal.BIDDER_NOT_ELIGIBLE),
        ({}, PLEDGEE, "500.00", NOW, BidRefusal.BIDDER_NOT_ELIGIBLE),
        ({}, BUYER, "99.99", NOW, BidRefusal.BELOW_RESERVE),
        ({"best_amount": Decimal("150.00")}, BUYER, "150.00", NOW, BidRefusal.NOT_HIGHEST),
        ({"best_amount": Decimal("150.00")}, BUYER, "149.00", NOW, BidRefusal.NOT_HIGHEST),
    ],
)
def test_bids_are_refused_for_the_first_rule_they_break(overrides, bidder, amount, at, refusal):
    assert bid_refusal(facts(**overrides), bidder, Decimal(amount), at) is refusal


@pytest.mark.parametrize(
    ("overrides", "amount"),
    [
        ({}, "100.00"),  # the reserve itself is enough
        ({"best_amount": Decimal("150.00")}, "150.01"),
        ({"method": DisposalMethod.LISTING, "best_amount": Decimal("150.00")}, "120.00"),
    ],
)
def test_acceptable_bids(overrides, amount):
    assert bid_refusal(facts(**overrides), BUYER, Decimal(amount), NOW) is None


def test_the_highest_bid_wins_and_the_earliest_among_equals():
    bids = [
        BidFacts(1, 10, Decimal("100.00"), NOW),
        BidFacts(2, 11, Decimal("120.00"), NOW + timedelta(minutes=2)),
        BidFacts(3, 12, Decimal("120.00"), NOW + timedelta(minutes=1)),
    ]
    assert winning_bid(bids).id == 3
    assert winning_bid([]) is None
    assert close_outcome(bids) is DisposalStatus.SOLD
    assert close_outcome([]) is DisposalStatus.FAILED


def test_a_sale_is_final_when_it_takes_every_asset_still_pledged():
    assert is_final_sale({1, 2}, {1, 2})
    assert is_final_sale({2}, {2})  # asset 1 was sold before
    assert not is_final_sale({1}, {1, 2})


cents = st.integers(min_value=0, max_value=10**13).map(lambda c: Decimal(c) / 100)


@given(price=cents, costs=cents, interest=cents, principal=cents)
def test_statement_lines_add_to_the_price_in_legal_order(price, costs, interest, principal):
    """The statement a close stores: non-negative lines, summing to the price, in order."""
    statement = distribute(
        price, costs, interest, principal, pledgee_id=PLEDGEE, pledgor_id=PLEDGOR, costs_payee_id=9
    )
    assert sum(line.amount for line in statement.lines) == price
    assert all(line.amount > 0 for line in statement.lines)
    order = ["costs", "interest_penalties", "principal", "surplus"]
    assert [line.kind for line in statement.lines] == sorted(
        (line.kind for line in statement.lines), key=order.index
    )
    assert statement.shortfall == max(costs + interest + principal - price, Decimal(0))


@given(price=cents, costs=cents, interest=cents, principal=cents)
def test_a_partial_sale_keeps_the_unpaid_debt_secured(price, costs, interest, principal):
    partial = apply_partial_sale(
        price, costs, interest, principal, pledgee_id=PLEDGEE, pledgor_id=PLEDGOR, costs_payee_id=9
    )
    paid = sum((line.amount for line in partial.statement.lines if line.kind != "surplus"), 0)
    assert partial.statement.shortfall == 0
    assert paid + partial.remaining.total == costs + interest + principal
    assert partial.settled == (price >= costs + interest + principal)
