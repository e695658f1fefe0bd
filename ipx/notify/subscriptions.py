"""Use cases of subscriptions: create, list, read, delete, test, the delivery log, redeliver.

A bank or owner subscribes for its own party; a clerk for the party it names. Only the
subscriber (a key bound to the subscription's party) and clerks, auditors and admins see a
subscription: anyone else gets 404, as for registry records.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import func, select

from ipx.auth import Principal
from ipx.errors import Conflict, NotFound, ValidationFailed
from ipx.notify.commands import CreateSubscription, DeleteSubscription, Redeliver, TestSubscription
from ipx.notify.events import TEST_EVENT
from ipx.notify.orm import Delivery, OutboxEvent, Subscription
from ipx.notify.signing import new_secret, seal, secret_bytes
from ipx.notify.urls import check_url
from ipx.registry.orm import Party
from ipx.uow import UnitOfWork

ACTIVE, FAILING = "active", "failing"
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class DeliveryInFlight(Conflict):
    code, title = "delivery-in-flight", "The delivery is being sent right now"


def creating(allow_loopback: Callable[[], bool]):
    """The create use case, with the operator's loopback setting read at each call."""

    def create_subscription(uow: UnitOfWork, principal: Principal, command: CreateSubscription):
        """Subscribe a party's URL to event types; the secret is answered only here."""
        party_id = _subscriber(uow, principal, command.party_id)
        # The route resolved the host before the transaction; here the form is checked again.
        check_url(command.url, allow_loopback=allow_loopback(), resolve=False)
        secret = command.secret or new_secret()
        try:
            secret_bytes(secret)
        except ValueError as exc:
            raise ValidationFailed({"secret": [f"{exc}."]}) from None
        last_event = uow.session.execute(select(func.max(OutboxEvent.id))).scalar_one()
        subscription = Subscription(
            party_id=party_id,
            url=command.url,
            events=sorted(set(command.events)),
            secret_sealed=b"",
            status=ACTIVE,
            after_event_id=last_event or 0,
            created_by=principal.actor,
            created_at=uow.now,
        )
        uow.session.add(subscription)
        uow.session.flush()
        subscription.secret_sealed = seal(secret, uow.digest_key, subscription.id)
        return {**view(subscription), "secret": secret}

    return create_subscription


def _subscriber(uow: UnitOfWork, principal: Principal, party_id: int | None) -> int:
    if not principal.sees_all():
        if party_id is not None and party_id != principal.party_id:
            raise ValidationFailed({"party_id": ["A bank or owner subscribes for its own party."]})
        assert principal.party_id is not None
        return principal.party_id
    if party_id is None:
        raise ValidationFailed({"party_id": ["Name the party the subscription is for."]})
    if uow.session.get(Party, party_id) is None:
        raise ValidationFailed({"party_id": [f"Unknown party {party_id}."]})
    return party_id


def view(subscription: Subscription) -> dict:
    return {
        "id": subscription.id,
        "party_id": subscription.party_id,
        "url": subscription.url,
        "events": list(subscription.events),
        "status": subscription.status,
        "created_at": subscription.created_at,
    }


def visible_subscription(
    uow: UnitOfWork, principal: Principal, subscription_id: int, *, lock: bool = False
):
    """The subscription, if the principal is its subscriber or sees all (404 otherwise)."""
    stmt = select(Subscription).where(Subscription.id == subscription_id)
    if lock:
        stmt = stmt.with_for_update()
    subscription = uow.session.execute(stmt).scalar_one_or_none()
    if subscription is None or (
        not principal.sees_all() and subscription.party_id != principal.party_id
    ):
        raise NotFound(f"No subscription with id {subscription_id}.")
    return subscription


def list_subscriptions(
    uow: UnitOfWork, principal: Principal, *, party_id: int | None, after: int | None, limit: int
) -> list[dict]:
    stmt = select(Subscription).order_by(Subscription.id).limit(limit + 1)
    if not principal.sees_all():
        stmt = stmt.where(Subscription.party_id == principal.party_id)
    if party_id is not None:
        stmt = stmt.where(Subscription.party_id == party_id)
    if after:
        stmt = stmt.where(Subscription.id > after)
    return [view(s) for s in uow.session.execute(stmt).scalars()]


def get_subscription(uow: UnitOfWork, principal: Principal, subscription_id: int) -> dict:
    return view(visible_subscription(uow, principal, subscription_id))


def delete_subscription(uow: UnitOfWork, principal: Principal, command: DeleteSubscription):
    """Stop the subscription: its pending deliveries are not made (its log goes with it).

    The database deletes the deliveries and their attempts (``ON DELETE CASCADE``; SQLite
    enforces it, ``PRAGMA foreign_keys=ON`` on every connection: ``ipx.db``)."""
    subscription = visible_subscription(uow, principal, command.subscription_id, lock=True)
    answer = view(subscription)
    uow.session.delete(subscription)
    return answer


def test_subscription(uow: UnitOfWork, principal: Principal, command: TestSubscription) -> dict:
    """Queue a ``subscription.test`` event for this subscription alone."""
    subscription = visible_subscription(uow, principal, command.subscription_id)
    event = OutboxEvent(
        seq=None,
        type=TEST_EVENT,
        asset_ids=[],
        data={"subscription_id": subscription.id},
        created_at=uow.now,
        dispatched_at=uow.now,
    )
    uow.session.add(event)
    uow.session.flush()
    delivery = new_delivery(subscription.id, event.id, uow.now)
    uow.session.add(delivery)
    uow.session.flush()
    return delivery_view(delivery, event.type)


def new_delivery(subscription_id: int, event_id: int, now) -> Delivery:
    return Delivery(
        subscription_id=subscription_id,
        event_id=event_id,
        webhook_id=f"msg_{uuid.uuid4().hex}",
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


def delivery_view(delivery: Delivery, event_type: str) -> dict:
    return {
        "id": delivery.id,
        "webhook_id": delivery.webhook_id,
        "event_type": event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at if delivery.status == PENDING else None,
        "delivered_at": delivery.delivered_at,
        "created_at": delivery.created_at,
    }


def list_deliveries(
    uow: UnitOfWork,
    principal: Principal,
    subscription_id: int,
    *,
    status: str | None,
    after: int | None,
    limit: int,
    newest_first: bool = False,
) -> list[dict]:
    """The subscription's delivery log, oldest first (``newest_first``: the latest first, as
    the console shows it)."""
    visible_subscription(uow, principal, subscription_id)
    order = Delivery.id.desc() if newest_first else Delivery.id
    stmt = (
        select(Delivery, OutboxEvent.type)
        .join(OutboxEvent, OutboxEvent.id == Delivery.event_id)
        .where(Delivery.subscription_id == subscription_id)
        .order_by(order)
        .limit(limit + 1)
    )
    if status:
        stmt = stmt.where(Delivery.status == status)
    if after:
        stmt = stmt.where(Delivery.id < after if newest_first else Delivery.id > after)
    return [delivery_view(d, kind) for d, kind in uow.session.execute(stmt)]


def redeliver(uow: UnitOfWork, principal: Principal, command: Redeliver) -> dict:
    """Send the delivery again (same ``webhook-id``), now, whatever became of it before; 409
    ``delivery-in-flight`` while a worker holds it (its outcome is not yet recorded)."""
    visible_subscription(uow, principal, command.subscription_id)
    delivery = uow.session.execute(
        select(Delivery)
        .where(
            Delivery.id == command.delivery_id,
            Delivery.subscription_id == command.subscription_id,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if delivery is None:
        raise NotFound(f"No delivery with id {command.delivery_id}.")
    if delivery.claimed_until is not None and delivery.claimed_until > uow.now:
        raise DeliveryInFlight(
            "A worker is sending this delivery now; redeliver once its outcome is in the log."
        )
    delivery.status, delivery.next_attempt_at = PENDING, uow.now
    delivery.claimed_until = delivery.claim_token = None
    kind = uow.session.get(OutboxEvent, delivery.event_id)
    assert kind is not None
    return delivery_view(delivery, kind.type)
