"""Webhook subscriptions, their test event, delivery log and redelivery (DESIGN,
"Notifications"): the bank of the README's story, 浦江商业银行 (party 2), subscribes."""

from __future__ import annotations

from ipx.web.examples.entries import Link, Operation, by_id

SUBSCRIPTION = {
    "id": 1,
    "party_id": 2,
    "url": "https://hooks.pujiang-bank.example/ipx",
    "events": ["asset.frozen", "asset.fees_overdue", "pledge.cancelled", "pledge.registered"],
    "status": "active",
    "created_at": "2026-12-01T02:00:00Z",
}
SUBSCRIPTION_IN = {
    "url": "https://hooks.pujiang-bank.example/ipx",
    "events": ["pledge.registered", "pledge.cancelled", "asset.frozen", "asset.fees_overdue"],
}
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DELIVERY = {
    "id": 7,
    "webhook_id": "msg_5f0c1d0e8a7b4c3d9e2f1a0b6c5d4e3f",
    "event_type": "asset.frozen",
    "status": "pending",
    "attempts": 2,
    "last_status_code": 503,
    "last_error": None,
    "next_attempt_at": "2026-12-01T03:00:40Z",
    "delivered_at": None,
    "created_at": "2026-12-01T03:00:00Z",
}
TEST_DELIVERY = {
    **DELIVERY,
    "id": 8,
    "webhook_id": "msg_0a1b2c3d4e5f40718293a4b5c6d7e8f9",
    "event_type": "subscription.test",
    "attempts": 0,
    "last_status_code": None,
    "next_attempt_at": "2026-12-01T03:05:00Z",
    "created_at": "2026-12-01T03:05:00Z",
}
URL_REFUSED = {
    "type": "https://ipx.example/problems/webhook-url-not-allowed",
    "title": "The registry does not call that URL",
    "status": 422,
    "detail": "The host resolves to 10.0.0.5, which is not a public address.",
    "code": "webhook-url-not-allowed",
    "errors": {"url": ["The host resolves to 10.0.0.5, which is not a public address."]},
}
IN_FLIGHT = {
    "type": "https://ipx.example/problems/delivery-in-flight",
    "title": "The delivery is being sent right now",
    "status": 409,
    "detail": "A worker is sending this delivery now; redeliver once its outcome is in the log.",
    "code": "delivery-in-flight",
}
SUBSCRIPTION_RULES = {
    "url": "http or https, to a host whose every address is public (loopback only where the "
    "operator allows it); otherwise 422 `webhook-url-not-allowed`",
    "secret": "`whsec_` followed by the base64 of 24 to 64 bytes",
    "party_id": "clerks name an existing party; a bank or owner gives none or its own",
}


def _subscription_links() -> dict[str, Link]:
    ids = by_id("subscription_id")
    return {
        "GetSubscription": Link("getSubscription", ids, "Read the subscription."),
        "TestSubscription": Link("testSubscription", ids, "Send it a signed test event."),
        "ListDeliveries": Link("listDeliveries", ids, "Its delivery log."),
        "DeleteSubscription": Link("deleteSubscription", ids),
    }


OPERATIONS: dict[str, Operation] = {
    "GET /subscriptions": Operation(
        "listSubscriptions",
        "Webhook subscriptions in id order, a page at a time (banks and owners: their own "
        "party's; clerks and auditors: all, or one party's with `party_id`). Secrets are "
        "never shown again.",
        parameters={"limit": 50, "cursor": "aWQ6NTA", "party_id": 2},
        response={"items": [SUBSCRIPTION], "next_cursor": None},
        links={
            "GetSubscription": Link(
                "getSubscription", by_id("subscription_id", "$response.body#/items/0/id")
            )
        },
    ),
    "POST /subscriptions": Operation(
        "createSubscription",
        "Subscribe a URL to event types. Each event is POSTed as a Standard Webhooks "
        "request (`webhook-id`, `webhook-timestamp`, `webhook-signature`: HMAC-SHA256 under "
        "the secret) with the body `{type, timestamp, data: {seq, pledge_id?, asset_id?, "
        "...}}`, at least once: a failed delivery is retried after about 5, 15 and 40 "
        "seconds, then over more than a day; after the last retry the subscription is "
        "`failing`. A bank receives only events of pledges where it is the pledgee (or "
        "pledgor) and of their assets, an owner those of its own. The `secret` (generated "
        "when absent) is answered only here. Checked beyond the schema: `url`, `secret`, "
        "`party_id`.",
        request=SUBSCRIPTION_IN,
        response={**SUBSCRIPTION, "secret": SECRET},
        links=_subscription_links(),
        rules=SUBSCRIPTION_RULES,
        errors={422: URL_REFUSED},
    ),
    "GET /subscriptions/{subscription_id}": Operation(
        "getSubscription",
        "A subscription: its subscriber (a key of its party) and clerks and auditors read it; "
        "anyone else gets 404.",
        parameters={"subscription_id": 1},
        response=SUBSCRIPTION,
        links=_subscription_links(),
    ),
    "DELETE /subscriptions/{subscription_id}": Operation(
        "deleteSubscription",
        "Delete the subscription and its delivery log: nothing more is sent to it. The answer "
        "is the subscription as it was.",
        parameters={"subscription_id": 1},
        response=SUBSCRIPTION,
    ),
    "POST /subscriptions/{subscription_id}/test": Operation(
        "testSubscription",
        "Queue a signed `subscription.test` event for this subscription alone, to check the "
        "receiver and its signature verification; follow it in the delivery log.",
        parameters={"subscription_id": 1},
        response=TEST_DELIVERY,
    ),
    "GET /subscriptions/{subscription_id}/deliveries": Operation(
        "listDeliveries",
        "The subscription's delivery log, oldest first: per event its `webhook-id`, status "
        "(`pending`, `delivered`, `failed` after the last retry), attempts, and the last "
        "answer's status code (or the error when there was none).",
        parameters={"subscription_id": 1, "limit": 50, "cursor": "aWQ6NTA", "status": "pending"},
        response={"items": [DELIVERY], "next_cursor": None},
    ),
    "POST /subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver": Operation(
        "redeliver",
        "Send a delivery again now, whatever became of it, with the same `webhook-id` "
        "(receivers deduplicate on it); 409 `delivery-in-flight` while a worker is sending it.",
        parameters={"subscription_id": 1, "delivery_id": 7},
        response={**DELIVERY, "next_attempt_at": "2026-12-01T04:00:00Z"},
        errors={409: IN_FLIGHT},
    ),
}

OPERATIONS["POST /portfolio/revaluations"] = Operation(
    "revaluePortfolio",
    "Revalue every asset under the bank's registered (or defaulted, or in disposal) pledges "
    "with the current model and the economics of each asset's latest stored valuation; each "
    "new valuation is stored and logged. Per pledge: the old and new summed collateral value, "
    "the summed `max_loan`, the coverage (new collateral value / secured amount), and whether "
    "it is a breach: the secured amount exceeds the summed `max_loan`, or, with "
    "`ltv_threshold`, that share of the new collateral value. A breach is logged as "
    "`valuation.ltv_breach` and announced to subscribers of the pledge's parties.",
    request={"ltv_threshold": "0.5000"},
    response={
        "items": [
            {
                "pledge_id": 1,
                "currency": "CNY",
                "old_collateral_value": "1450000.00",
                "new_collateral_value": "1210000.00",
                "max_loan": "302500.00",
                "coverage": "0.2420",
                "breach": True,
                "valuation_ids": [12],
            }
        ]
    },
)

SCHEDULE = {
    "party_id": 2,
    "day_of_month": 1,
    "ltv_threshold": "0.5000",
    "enabled": True,
    "last_run_on": "2026-12-01",
    "updated_at": "2026-11-20T02:00:00Z",
}
NO_SCHEDULE = {
    "type": "https://ipx.example/problems/not-found",
    "title": "No such record",
    "status": 404,
    "detail": "No revaluation schedule: the operator's default applies.",
    "code": "not-found",
}
SCHEDULE_PARTY = {
    "party_id": "a clerk (or admin, auditor) names an existing party; a bank may name only "
    "itself (else 403)"
}
OPERATIONS["GET /portfolio/revaluation-schedule"] = Operation(
    "getRevaluationSchedule",
    "The bank's own monthly revaluation schedule; 404 when it has none (the operator's "
    "default, `IPX_REVALUATION_EVERY_DAYS`, applies). A bank reads its own; clerks and "
    "auditors name the bank with `party_id`.",
    parameters={"party_id": 2},
    response=SCHEDULE,
    rules=SCHEDULE_PARTY,
    errors={404: NO_SCHEDULE},
)
OPERATIONS["PUT /portfolio/revaluation-schedule"] = Operation(
    "setRevaluationSchedule",
    "Set the bank's monthly revaluation schedule: the worker revalues the bank's portfolio, as "
    "that bank, once a month from `day_of_month` on (China dates), with `ltv_threshold` if "
    "given; `enabled: false` stops scheduled revaluation for the bank. An operational setting, "
    "as a subscription is: not a ledger event. A month already run is not run again.",
    request={"day_of_month": 1, "ltv_threshold": "0.5000", "enabled": True},
    parameters={"party_id": 2},
    response=SCHEDULE,
    rules=SCHEDULE_PARTY,
)
OPERATIONS["DELETE /portfolio/revaluation-schedule"] = Operation(
    "deleteRevaluationSchedule",
    "Delete the bank's schedule (answered): the operator's default applies to it again.",
    parameters={"party_id": 2},
    response=SCHEDULE,
    rules=SCHEDULE_PARTY,
    errors={404: NO_SCHEDULE},
)
