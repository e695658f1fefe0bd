"""Disposal on default, as plain rules: states, who may bid, which bid is acceptable, who wins.

Nothing here knows about Flask or the database; the services feed it facts read under lock.

Choices where the brief left room:
- bids open when the announcement period ends (Auction Law Art. 45: an auction is announced at
  least seven days ahead, hence the default of 7 days); before that a bid is ``bidding-not-open``.
- the pledgor and the pledgee may not bid (``bidder-not-eligible``): the pledgor can redeem by
  paying the debt, and the pledgee would be setting the price it is paid from; a pledgee wanting
  the asset uses appropriation at an agreed price (Civil Code Art. 436), not the auction.
- an auction bid must beat the best bid so far; a listing accepts any bid at or above the
  reserve, and the highest wins, the earliest among equals.
- an open disposal can be withdrawn (debt paid, a court's stay, the parties' agreement): no bid
  wins, the pledge returns to ``defaulted`` and the disposal's costs stay owed, as after a
  failed disposal.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

DEFAULT_ANNOUNCEMENT_DAYS = 7


class DisposalMethod(enum.StrEnum):
    AUCTION = "auction"
    LISTING = "listing"


class DisposalStatus(enum.StrEnum):
    OPEN = "open"
    SOLD = "sold"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


DISPOSAL_TRANSITIONS: dict[DisposalStatus, set[DisposalStatus]] = {
    DisposalStatus.OPEN: {DisposalStatus.SOLD, DisposalStatus.FAILED, DisposalStatus.WITHDRAWN},
    DisposalStatus.SOLD: set(),
    DisposalStatus.FAILED: set(),
    DisposalStatus.WITHDRAWN: set(),
}


class WithdrawalReason(enum.StrEnum):
    """Why an open disposal is called off before it closes.

    ``debt_paid``: the pledgor (or a third party) paid what is due, which ends the right to sell
    (the pledge is then cancelled as repaid); ``court_order``: a court stays the sale;
    ``parties_agreement``: pledgor and pledgee settle otherwise (say, appropriation at an
    agreed price under Civil Code Art. 436).
    """

    DEBT_PAID = "debt_paid"
    COURT_ORDER = "court_order"
    PARTIES_AGREEMENT = "parties_agreement"


class BidRefusal(enum.StrEnum):
    """Why a bid is not recorded; each value is the problem ``code`` the API answers with."""

    CLOSED = "disposal-closed"
    NOT_OPEN_YET = "bidding-not-open"
    BIDDER_NOT_ELIGIBLE = "bidder-not-eligible"
    BELOW_RESERVE = "bid-below-reserve"
    NOT_HIGHEST = "bid-not-highest"


BID_REFUSAL_MESSAGES = {
    BidRefusal.CLOSED: "The disposal is closed; no more bids are accepted.",
    BidRefusal.NOT_OPEN_YET: "Bids are accepted only after the announcement period.",
    BidRefusal.BIDDER_NOT_ELIGIBLE: "The pledgor and the pledgee may not bid in the disposal.",
    BidRefusal.BELOW_RESERVE: "The bid is below the reserve price.",
    BidRefusal.NOT_HIGHEST: "In an auction a bid must be higher than the best bid so far.",
}


@dataclass(frozen=True)
class DisposalFacts:
    """What deciding on a bid needs to know about the disposal, read under its lock."""

    method: DisposalMethod
    status: DisposalStatus
    reserve_price: Decimal
    bids_open_at: datetime
    pledgor_id: int
    pledgee_id: int
    best_amount: Decimal | None = None


@dataclass(frozen=True)
class BidFacts:
    id: int
    bidder_id: int
    amount: Decimal
    placed_at: datetime


def bid_refusal(
    disposal: DisposalFacts, bidder_id: int, amount: Decimal, at: datetime
) -> BidRefusal | None:
    """The first reason to refuse this bid, or None when it is acceptable."""
    if disposal.status is not DisposalStatus.OPEN:
        return BidRefusal.CLOSED
    if at < disposal.bids_open_at:
        return BidRefusal.NOT_OPEN_YET
    if bidder_id in (disposal.pledgor_id, disposal.pledgee_id):
        return BidRefusal.BIDDER_NOT_ELIGIBLE
    if amount < disposal.reserve_price:
        return BidRefusal.BELOW_RESERVE
    if (
        disposal.method is DisposalMethod.AUCTION
        and disposal.best_amount is not None
        and amount <= disposal.best_amount
    ):
        return BidRefusal.NOT_HIGHEST
    return None


def winning_bid(bids: list[BidFacts]) -> BidFacts | None:
    """The highest bid, the earliest (then lowest id) among equal amounts; None without bids."""
    if not bids:
        return None
    return min(bids, key=lambda b: (-b.amount, b.placed_at, b.id))


def close_outcome(bids: list[BidFacts]) -> DisposalStatus:
    """Sold when there is at least one bid, otherwise failed."""
    return DisposalStatus.SOLD if bids else DisposalStatus.FAILED


def is_final_sale(sold_asset_ids: set[int], active_asset_ids: set[int]) -> bool:
    """A sale is final when it takes every asset the pledge still encumbers."""
    return active_asset_ids <= sold_asset_ids
