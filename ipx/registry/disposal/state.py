"""Canonical states of disposal records, as their ledger events digest them (see state.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ipx.registry.disposal.orm import (
    Bid,
    Disposal,
    DisposalRequest,
    PledgeDefault,
    SaleTransaction,
    TransferProceeds,
    UnsecuredClaim,
)


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()


def default_state(d: PledgeDefault) -> dict:
    return {
        "pledge_id": d.pledge_id,
        "principal": _money(d.principal),
        "interest": _money(d.interest),
        "penalties": _money(d.penalties),
        "costs_due": _money(d.costs_due),
        "interest_penalties_due": _money(d.interest_penalties_due),
        "principal_due": _money(d.principal_due),
    }


def disposal_request_state(r: DisposalRequest) -> dict:
    return {"pledge_id": r.pledge_id, "party_id": r.party_id, "note": r.note}


def disposal_state(d: Disposal) -> dict:
    return {
        "pledge_id": d.pledge_id,
        "method": d.method,
        "status": d.status,
        "reserve_price": _money(d.reserve_price),
        "costs": _money(d.costs),
        "costs_payee_id": d.costs_payee_id,
        "currency": d.currency,
        "bids_open_at": _iso(d.bids_open_at),
        "assets": [[a.asset_id, a.open] for a in sorted(d.assets, key=lambda a: a.asset_id)],
        "price": _money(d.price),
        "buyer_id": d.buyer_id,
        "winning_bid_id": d.winning_bid_id,
        "shortfall": _money(d.shortfall),
        "final": d.final,
        "lines": [
            [line.kind, line.payee_id, _money(line.amount)]
            for line in sorted(d.lines, key=lambda x: x.position)
        ],
        # Only when set, so the digests of disposals logged before withdrawals existed hold.
        **({"withdrawal_reason": d.withdrawal_reason} if d.withdrawal_reason else {}),
    }


def bid_state(b: Bid) -> dict:
    return {
        "disposal_id": b.disposal_id,
        "bidder_id": b.bidder_id,
        "amount": _money(b.amount),
        "placed_at": _iso(b.placed_at),
    }


def claim_state(c: UnsecuredClaim) -> dict:
    return {
        "pledge_id": c.pledge_id,
        "disposal_id": c.disposal_id,
        "creditor_id": c.creditor_id,
        "debtor_id": c.debtor_id,
        "amount": _money(c.amount),
        "currency": c.currency,
    }


def sale_transaction_state(t: SaleTransaction) -> dict:
    return {
        "disposal_id": t.disposal_id,
        "asset_id": t.asset_id,
        "asset_kind": t.asset_kind,
        "asset_number": t.asset_number,
        "ipc": t.ipc,
        "features": t.features,
        "price": _money(t.price),
        "lot_size": t.lot_size,
        "currency": t.currency,
        "method": t.method,
        "sale_date": _iso(t.sale_date),
    }


def transfer_proceeds_state(p: TransferProceeds) -> dict:
    return {
        "transfer_id": p.transfer_id,
        "pledge_id": p.pledge_id,
        "destination": p.destination,
        "amount": _money(p.amount),
        "debt_before": _money(p.debt_before),
        "debt_after": _money(p.debt_after),
    }


#: Merged into ``state.STATE_OF``.
DISPOSAL_STATE_OF: dict[str, tuple[type[Any], Callable[[Any], dict]]] = {
    "default": (PledgeDefault, default_state),
    "disposal_request": (DisposalRequest, disposal_request_state),
    "disposal": (Disposal, disposal_state),
    "bid": (Bid, bid_state),
    "claim": (UnsecuredClaim, claim_state),
    "sale_transaction": (SaleTransaction, sale_transaction_state),
    "transfer_proceeds": (TransferProceeds, transfer_proceeds_state),
}
