"""Default, disposal on the exchange, bids, the distribution statement, realized prices."""

from __future__ import annotations

from ipx.web.examples.entries import Link, Operation, by_id

DEFAULT = {
    "id": 1,
    "pledge_id": 2,
    "status": "defaulted",
    "principal": "1000000.00",
    "interest": "50000.00",
    "penalties": "10000.00",
    "outstanding": {
        "costs": "0.00",
        "interest_penalties": "60000.00",
        "principal": "1000000.00",
        "total": "1060000.00",
    },
    "currency": "CNY",
    "declared_at": "2027-06-01T01:00:00Z",
    "updated_at": "2027-06-01T01:00:00Z",
}
DISPOSAL = {
    "id": 1,
    "pledge_id": 2,
    "method": "auction",
    "status": "open",
    "asset_ids": [2],
    "reserve_price": "800000.00",
    "reserve_source": "given",
    "costs": "20000.00",
    "costs_payee_id": 2,
    "currency": "CNY",
    "announcement_days": 15,
    "opened_at": "2027-06-10T01:00:00Z",
    "bids_open_at": "2027-06-25T01:00:00Z",
    "closed_at": None,
    "price": None,
    "buyer_id": None,
    "winning_bid_id": None,
    "shortfall": None,
    "final": None,
    "withdrawal_reason": None,
}
SOLD = {
    **DISPOSAL,
    "status": "sold",
    "closed_at": "2027-07-10T07:00:00Z",
    "price": "900000.00",
    "buyer_id": 3,
    "winning_bid_id": 1,
    "shortfall": "180000.00",
    "final": True,
}
BID = {
    "id": 1,
    "disposal_id": 1,
    "bidder_id": 3,
    "amount": "900000.00",
    "currency": "CNY",
    "placed_at": "2027-06-28T03:00:00Z",
}


def _disposal_links() -> dict[str, Link]:
    ids = by_id("disposal_id")
    return {
        "GetDisposal": Link("getDisposal", ids, "Read the disposal."),
        "ListBids": Link("listBids", ids),
        "RecordBid": Link("recordBid", ids),
        "CloseDisposal": Link("closeDisposal", ids),
        "WithdrawDisposal": Link("withdrawDisposal", ids),
        "GetStatement": Link("getStatement", ids),
    }


OPERATIONS: dict[str, Operation] = {
    "GET /pledges/{pledge_id}/default": Operation(
        "getDefault",
        "The default declared on the pledge and what is still owed, in the order the "
        "proceeds of a sale pay it: disposal costs, interest and penalties, principal.",
        parameters={"pledge_id": 2},
        response=DEFAULT,
    ),
    "POST /pledges/{pledge_id}/default": Operation(
        "declareDefault",
        "The pledgee declares the debtor in default with the outstanding principal, "
        "interest and penalties; the pledge becomes `defaulted` and may be disposed of. Only "
        "the pledge's own pledgee bank (or a clerk on its behalf) may declare it.",
        parameters={"pledge_id": 2},
        request={"principal": "1000000.00", "interest": "50000.00", "penalties": "10000.00"},
        response=DEFAULT,
        links={
            "OpenDisposal": Link("openDisposal", by_id("pledge_id", "$response.body#/pledge_id")),
            "GetDefault": Link("getDefault", by_id("pledge_id", "$response.body#/pledge_id")),
        },
        rules={"principal": "principal, interest and penalties together greater than zero"},
    ),
    "POST /pledges/{pledge_id}/disposal-requests": Operation(
        "requestDisposal",
        "The pledgor asks the pledgee to dispose of the pledged assets in time after the "
        "debt fell due (Civil Code Art. 437); the request is recorded and logged.",
        parameters={"pledge_id": 2},
        request={"note": "债务已到期，请及时处置质押专利。"},
        response={
            "id": 1,
            "pledge_id": 2,
            "party_id": 1,
            "note": "债务已到期，请及时处置质押专利。",
            "created_at": "2027-06-05T02:00:00Z",
        },
    ),
    "POST /pledges/{pledge_id}/disposals": Operation(
        "openDisposal",
        "List some or all of a defaulted pledge's assets on the exchange, by auction or "
        "listing. Without `reserve_price` the reserve is the lower bound (p10) of the assets' "
        "latest valuations; bids open after `announcement_days`. Disposal costs are paid to "
        "`costs_payee_id` (default: the pledgee).",
        parameters={"pledge_id": 2},
        request={
            "method": "auction",
            "reserve_price": "800000.00",
            "costs": "20000.00",
            "announcement_days": 15,
        },
        response=DISPOSAL,
        links=_disposal_links(),
        rules={
            "asset_ids": "assets this pledge encumbers and no sale took yet",
            "reserve_price": "greater than zero; required when an asset has no valuation",
            "costs_payee_id": "a registered party",
        },
    ),
    "GET /disposals": Operation(
        "listDisposals",
        "Disposals in id order, filtered by status or pledge; banks and owners see those of "
        "their own pledges.",
        parameters={"limit": 50, "status": "open", "pledge_id": 2},
        response={"items": [DISPOSAL], "next_cursor": None},
        links={
            "GetFirstItem": Link("getDisposal", by_id("disposal_id", "$response.body#/items/0/id"))
        },
    ),
    "GET /disposals/{disposal_id}": Operation(
        "getDisposal",
        "A disposal: its assets, reserve, costs, and once closed the price, the buyer and any "
        "shortfall left as an unsecured claim.",
        parameters={"disposal_id": 1},
        response=DISPOSAL,
    ),
    "GET /disposals/{disposal_id}/bids": Operation(
        "listBids",
        "The bids recorded on the disposal, in the order they were placed. Up to `limit` "
        "(default and most 200) a page; pass `next_cursor` as `cursor` for the next.",
        parameters={"disposal_id": 1},
        response={"items": [BID], "next_cursor": None},
    ),
    "POST /disposals/{disposal_id}/bids": Operation(
        "recordBid",
        "Record a bid. A bid that breaks a rule answers 409 with its code: "
        "`bid-below-reserve`, `bid-not-highest`, `bidding-not-open` (within the announcement "
        "period), `disposal-closed`, ... with the reserve and the best bid so far.",
        parameters={"disposal_id": 1},
        request={"bidder_id": 3, "amount": "900000.00"},
        response=BID,
        links={
            "GetDisposal": Link("getDisposal", by_id("disposal_id", "$response.body#/disposal_id"))
        },
        rules={"bidder_id": "a registered party", "amount": "greater than zero"},
    ),
    "POST /disposals/{disposal_id}/close": Operation(
        "closeDisposal",
        "Close the disposal: the best bid wins (`sold`: ownership passes to the buyer, the "
        "price is distributed and the pledge realized) or none came (`failed`). Closing a "
        "closed disposal answers it again.",
        parameters={"disposal_id": 1},
        response=SOLD,
        links={"GetStatement": Link("getStatement", by_id("disposal_id"))},
    ),
    "POST /disposals/{disposal_id}/withdraw": Operation(
        "withdrawDisposal",
        "Withdraw an open disposal (the debt was paid, a court stayed it, the parties "
        "agreed): no bid wins, the pledge is `defaulted` again and the costs stay owed.",
        parameters={"disposal_id": 1},
        request={"reason": "debt_paid", "note": "债务人已于2027年6月30日清偿全部债务。"},
        response={
            **DISPOSAL,
            "status": "withdrawn",
            "closed_at": "2027-07-01T02:00:00Z",
            "withdrawal_reason": "debt_paid",
        },
    ),
    "GET /disposals/{disposal_id}/statement": Operation(
        "getStatement",
        "How a sale's price was distributed, in the legal order: disposal costs, interest "
        "and penalties, principal, then any surplus to the pledgor; the lines add up to the "
        "price to the cent. Before a sale: 409 `disposal-not-sold`.",
        parameters={"disposal_id": 1},
        response={
            "disposal_id": 1,
            "pledge_id": 2,
            "price": "900000.00",
            "currency": "CNY",
            "lines": [
                {"kind": "costs", "payee_id": 2, "amount": "20000.00"},
                {"kind": "interest_penalties", "payee_id": 2, "amount": "60000.00"},
                {"kind": "principal", "payee_id": 2, "amount": "820000.00"},
            ],
            "shortfall": "180000.00",
            "final": True,
        },
    ),
    "GET /transactions": Operation(
        "listTransactions",
        "Every realized sale price with the asset's features at the time of sale: the data "
        "valuations are back-tested against. Clerks and auditors.",
        parameters={"limit": 50, "asset_kind": "invention"},
        response={
            "items": [
                {
                    "id": 1,
                    "disposal_id": 1,
                    "asset_id": 2,
                    "asset_kind": "invention",
                    "asset_number": "202010004417.0",
                    "ipc": "H01M 4/505",
                    "features": None,
                    "filing_date": "2020-06-18",
                    "grant_date": "2022-03-01",
                    "expiry_date": "2040-06-17",
                    "price": "900000.00",
                    "lot_size": 1,
                    "currency": "CNY",
                    "method": "auction",
                    "sale_date": "2027-07-10",
                }
            ],
            "next_cursor": None,
        },
    ),
}
