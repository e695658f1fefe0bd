"""Fan-out: each outbox event becomes one delivery per subscription allowed to see it.

Who may see an event is the registry's visibility policy, applied to the event's records: the
pledgor and pledgee of its pledge or application (and, for a transfer request's steps, the
asset's holders it was asked for); for an asset's own events, its holders and the parties of
the pledges that encumber it now. So a bank hears only of pledges where it is the pledgee (or
pledgor) and of the assets under them; a subscription receives only events
of the types it asked for, written after it was made.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipx.notify.events import TRANSFER_REQUEST_TYPES
from ipx.notify.orm import OutboxEvent, Subscription
from ipx.notify.subscriptions import ACTIVE, FAILING, new_delivery
from ipx.registry.orm import AssetHolder, Pledge, PledgeApplication, PledgeAsset, TransferRequest


def dispatch_batch(session: Session, now: datetime, *, limit: int = 200) -> int:
    """Fan out up to ``limit`` undispatched events (caller commits); how many."""
    stmt = (
        select(OutboxEvent)
        .where(OutboxEvent.dispatched_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    events = list(session.execute(stmt).scalars())
    if not events:
        return 0
    subscriptions = list(
        session.execute(
            select(Subscription).where(Subscription.status.in_((ACTIVE, FAILING)))
        ).scalars()
    )
    for event in events:
        wanting = [
            s for s in subscriptions if event.type in s.events and s.after_event_id < event.id
        ]
        if wanting:
            parties = concerned_parties(session, event)
            for subscription in wanting:
                if subscription.party_id in parties:
                    session.add(new_delivery(subscription.id, event.id, now))
        event.dispatched_at = now
    session.flush()
    return len(events)


def concerned_parties(session: Session, event: OutboxEvent) -> set[int]:
    """The parties that may see the event's records.

    For an asset's own events: its holders and the parties of the pledges that encumber it
    *now* (active pledge assets). A bank whose pledge was cancelled, revoked or released no
    longer holds a security interest: it gets none of the asset's later events, though it
    received them while the pledge was in force."""
    if event.pledge_id is not None:
        parties = _pledge_parties(session, Pledge.id == event.pledge_id)
        if event.type in TRANSFER_REQUEST_TYPES:
            parties |= _asked_for_holders(session, event.data.get("transfer_request_id"))
        return parties
    if event.application_id is not None:
        row = session.execute(
            select(PledgeApplication.pledgor_id, PledgeApplication.pledgee_id).where(
                PledgeApplication.id == event.application_id
            )
        ).first()
        return set(row) if row else set()
    if not event.asset_ids:
        return set()
    holders = session.execute(
        select(AssetHolder.party_id).where(AssetHolder.asset_id.in_(event.asset_ids))
    ).scalars()
    encumbering = select(PledgeAsset.pledge_id).where(
        PledgeAsset.asset_id.in_(event.asset_ids), PledgeAsset.active.is_(True)
    )
    return set(holders) | _pledge_parties(session, Pledge.id.in_(encumbering))


def _asked_for_holders(session: Session, request_id: object) -> set[int]:
    """The asset's holders the transfer was asked for (the pledgor and its co-holders), who may
    all read the request (``ipx.registry.visibility``): the request's own record, so who is told
    does not hang on when the worker fans the step out, e.g. after a consented assignment moved
    the asset to its new holders (who are not told of a request made before they held it)."""
    if not isinstance(request_id, int):
        return set()
    held = session.execute(
        select(TransferRequest.from_party_ids).where(TransferRequest.id == request_id)
    ).scalar_one_or_none()
    return {int(party) for party in held or ()}


def _pledge_parties(session: Session, clause) -> set[int]:
    parties: set[int] = set()
    for pledgor, pledgee in session.execute(
        select(Pledge.pledgor_id, Pledge.pledgee_id).where(clause)
    ):
        parties.update((pledgor, pledgee))
    return parties
