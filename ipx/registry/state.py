"""Canonical states of registry records, as their ledger events digest them.

Each event that changes a record carries ``state:<kind>:<id>`` = HMAC-SHA256, under the
registry's digest key, of the record's state after the change (keyed, because the log is public
and a state with few unknown fields could otherwise be guessed back). ``ipx verify`` recomputes
the digest from the current row and compares it with the latest one in the log, so an edit made
behind the registry's back is detected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipx.ledger.events import state_digest
from ipx.registry.disposal.state import DISPOSAL_STATE_OF
from ipx.registry.model import FreezeKind
from ipx.registry.orm import (
    Asset,
    Freeze,
    Party,
    Pledge,
    PledgeApplication,
    Transfer,
    TransferRequest,
)


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()


def party_state(p: Party) -> dict:
    state: dict[str, object] = {
        "kind": p.kind,
        "name": p.name,
        "credit_code": p.credit_code,
        "id_number_digest": p.id_number_digest,
    }
    if p.sme is not None:  # only once recorded: states logged before keep their digests
        state |= {"sme": p.sme, "sme_source": p.sme_source}
    return state


def asset_state(a: Asset) -> dict:
    return {
        "kind": a.kind,
        "number": a.number,
        "title": a.title,
        "status": a.status,
        "filing_date": _iso(a.filing_date),
        "grant_date": _iso(a.grant_date),
        "expiry_date": _iso(a.expiry_date),
        "fees_paid_until": _iso(a.fees_paid_until),
        "ipc": a.ipc,
        "features": a.features,
        "frozen": a.frozen,
        "invalidation_pending": a.invalidation_pending,
        "holder_ids": sorted(a.holder_ids),
    }


def freeze_state(f: Freeze) -> dict:
    state = {
        "asset_id": f.asset_id,
        "court": f.court,
        "order_number": f.order_number,
        "status": f.status,
    }
    if f.kind != FreezeKind.COURT_PRESERVATION:  # so the digests logged before kinds still hold
        state["kind"] = f.kind
    return state


def application_state(a: PledgeApplication) -> dict:
    return {
        "status": a.status,
        "pledgor_id": a.pledgor_id,
        "pledgee_id": a.pledgee_id,
        "secured_amount": None if a.secured_amount is None else str(a.secured_amount),
        "currency": a.currency,
        "debt_start": _iso(a.debt_start),
        "debt_end": _iso(a.debt_end),
        "contract_number": a.contract_number,
        "asset_ids": sorted(a.asset_ids),
        "co_owner_consent_ids": sorted(a.co_owner_consent_ids),
        "forfeiture_clause": a.forfeiture_clause,
        "acknowledged_risks": sorted(a.acknowledged_risks),
        "valuation_id": a.valuation_id,
        "pledge_id": a.pledge_id,
    }


def pledge_state(p: Pledge) -> dict:
    return {
        "registration_number": p.registration_number,
        "status": p.status,
        "pledgor_id": p.pledgor_id,
        "pledgee_id": p.pledgee_id,
        "secured_amount": str(p.secured_amount),
        "currency": p.currency,
        "debt_start": _iso(p.debt_start),
        "debt_end": _iso(p.debt_end),
        "contract_number": p.contract_number,
        "assets": [[a.asset_id, a.active] for a in sorted(p.assets, key=lambda a: a.asset_id)],
        "closing_reason": p.closing_reason,
    }


def transfer_state(t: Transfer) -> dict:
    return {
        "asset_id": t.asset_id,
        "kind": t.kind,
        "from_party_ids": t.from_party_ids,
        "to_party_ids": t.to_party_ids,
        "pledge_id": t.pledge_id,
        "pledgee_consent": t.pledgee_consent,
        "proceeds": t.proceeds,
    }


def transfer_request_state(r: TransferRequest) -> dict:
    return {
        "asset_id": r.asset_id,
        "pledge_id": r.pledge_id,
        "kind": r.kind,
        "from_party_ids": r.from_party_ids,
        "to_party_ids": r.to_party_ids,
        "requested_by": r.requested_by,
        "requested_by_party_id": r.requested_by_party_id,
        "status": r.status,
        "reason": r.reason,
        "decided_by": r.decided_by,
        "proceeds": r.proceeds,
        "transfer_id": r.transfer_id,
    }


STATE_OF: dict[str, tuple[type[Any], Callable[[Any], dict]]] = {
    "party": (Party, party_state),
    "asset": (Asset, asset_state),
    "freeze": (Freeze, freeze_state),
    "application": (PledgeApplication, application_state),
    "pledge": (Pledge, pledge_state),
    "transfer": (Transfer, transfer_state),
    "transfer_request": (TransferRequest, transfer_request_state),
    **DISPOSAL_STATE_OF,
}


def state_key(kind: str, record_id: int) -> str:
    return f"state:{kind}:{record_id}"


def digest_of(kind: str, record, key: bytes) -> dict[str, str]:
    """The ``digests`` entry an event carries for a record it changed."""
    return {state_key(kind, record.id): state_digest(STATE_OF[kind][1](record), key)}


def current_state_digests(session: Session, key: bytes) -> Iterator[tuple[str, str]]:
    """Every registry record's current state digest, keyed as in the log (for ``ipx verify``).

    One statement first asks which kinds have records at all (most of the fourteen tables are
    empty in a young registry, and a query of each would cost a round trip for nothing)."""
    probe = select(
        *(select(model.id).exists().label(kind) for kind, (model, _) in STATE_OF.items())
    )
    present = session.execute(probe).one()._mapping
    for kind, (model, state_fn) in STATE_OF.items():
        if not present[kind]:
            continue
        for record in session.execute(select(model).order_by(model.id)).scalars():
            yield state_key(kind, record.id), state_digest(state_fn(record), key)
