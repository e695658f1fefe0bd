"""Which ledger events are announced, under which webhook type, with which facts.

Plain Python: the outbox hook (``ipx.notify.outbox``) calls ``notification_of`` for every
event the unit of work appends. Only the event's public facts (``Event.data``, what the public
notice shows) and record ids go into a notification, never its sealed private facts.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What ``POST /subscriptions/{id}/test`` sends.
TEST_EVENT = "subscription.test"

#: Ledger event type -> webhook event type, where the mapping needs no look at the data.
_BY_LEDGER_TYPE = {
    "pledge.registered": "pledge.registered",
    "pledge.changed": "pledge.changed",
    "pledge.extended": "pledge.changed",
    "pledge.partially_realized": "pledge.changed",
    "pledge.cancelled": "pledge.cancelled",
    "pledge.revoked": "pledge.cancelled",
    "application.refused": "application.refused",
    "application.correction_requested": "application.correction_requested",
    "asset.frozen": "asset.frozen",
    "asset.freeze_lifted": "asset.freeze_lifted",
    "asset.fees_overdue": "asset.fees_overdue",
    "transfer.requested": "transfer.requested",
    "transfer.consented": "transfer.consented",
    "transfer.declined": "transfer.declined",
    "transfer.withdrawn": "transfer.withdrawn",
    "disposal.opened": "disposal.opened",
    "disposal.sold": "disposal.closed",
    "disposal.failed": "disposal.closed",
    "disposal.withdrawn": "disposal.closed",
    "valuation.ltv_breach": "valuation.ltv_breach",
}

#: The steps of a transfer request: told also to the holders it was asked for (``dispatch``),
#: so an asset's co-holder hears of its transfer, not only the pledge's parties.
TRANSFER_REQUEST_TYPES = frozenset(
    ("transfer.requested", "transfer.consented", "transfer.declined", "transfer.withdrawn")
)

#: What an ``asset.changed`` event is announced as, when a pledgee must know (``webhook_type``).
LAPSED, INVALIDATION_PENDING = "asset.lapsed", "asset.invalidation_pending"

#: Every webhook event type a subscription may ask for (DESIGN, "Notifications"): each type a
#: ledger event is announced as, so a new mapping is a type subscribers may ask for.
EVENT_TYPES = tuple(dict.fromkeys([*_BY_LEDGER_TYPE.values(), INVALIDATION_PENDING, LAPSED]))


@dataclass(frozen=True)
class Notification:
    """What the outbox keeps of one announced event."""

    type: str
    pledge_id: int | None
    application_id: int | None
    asset_ids: tuple[int, ...]
    data: dict
    dedup_key: str | None = None  # one notification per key, ever (the fee watch's due dates)


def webhook_type(ledger_type: str, data: dict) -> str | None:
    """The webhook type a ledger event is announced as, or None (not announced)."""
    if ledger_type == "asset.changed":
        # A change of legal status or flags: announced when it is one a pledgee must know.
        if data.get("status") == "lapsed":
            return LAPSED
        if data.get("invalidation_pending") is True:
            return INVALIDATION_PENDING
        return None
    return _BY_LEDGER_TYPE.get(ledger_type)


def notification_of(ledger_type: str, refs: dict, data: dict) -> Notification | None:
    """The notification of a ledger event (its type, refs and public facts), or None."""
    kind = webhook_type(ledger_type, data)
    if kind is None:
        return None
    assets = refs.get("assets")
    if assets is None:
        assets = [refs["asset"]] if "asset" in refs else []
    ids = {key: refs[key] for key in _ID_REFS if key in refs}
    return Notification(
        type=kind,
        pledge_id=_id(refs.get("pledge")),
        application_id=_id(refs.get("application")),
        asset_ids=tuple(sorted(int(a) for a in assets)),
        data={**{f"{key}_id": value for key, value in ids.items()}, **data},
        dedup_key=dedup_key(kind, refs, data),
    )


#: The refs a notification names as ``<ref>_id`` in its data (pledge and assets have fields).
_ID_REFS = ("disposal", "freeze", "transfer", "transfer_request", "default")


def dedup_key(kind: str, refs: dict, data: dict) -> str | None:
    """The fee watch announces an asset's overdue fees once per due date."""
    if kind == "asset.fees_overdue":
        return f"{kind}:{refs.get('asset')}:{data.get('fees_paid_until')}"
    return None


def _id(value) -> int | None:
    return None if value is None else int(value)
