"""Request and response schemas of the notification API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ipx.notify.events import EVENT_TYPES
from ipx.notify.subscriptions import ACTIVE, DELIVERED, FAILED, FAILING, PENDING
from ipx.web.fields import Id, PageQuery, QueryId, Timestamp

SUBSCRIPTION_STATUSES = [ACTIVE, FAILING]
DELIVERY_STATUSES = [PENDING, DELIVERED, FAILED]


class SubscriptionIn(Schema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={
            "description": "http(s) to a public address (loopback only if the operator allows it)."
        },
    )
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        required=True,
        validate=validate.Length(min=1, max=len(EVENT_TYPES)),
    )
    secret = fields.String(
        load_default=None,
        validate=validate.Length(min=38, max=100),
        metadata={"description": "`whsec_` + base64 of 24 to 64 bytes; generated when absent."},
    )
    party_id = Id(
        load_default=None,
        metadata={
            "description": "The subscribing party: clerks name it; a bank or owner "
            "subscribes for its own party."
        },
    )


class SubscriptionOut(Schema):
    id = fields.Integer()
    party_id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String())
    status = fields.String(
        validate=validate.OneOf(SUBSCRIPTION_STATUSES),
        metadata={
            "description": "`failing` once a delivery exhausted its retries; a later "
            "delivered event makes it `active` again."
        },
    )
    created_at = Timestamp()


class CreatedSubscriptionOut(SubscriptionOut):
    secret = fields.String(
        metadata={"description": "The signing secret (Standard Webhooks): shown only here."}
    )


class SubscriptionQuery(PageQuery):
    party_id = QueryId()


class DeliveryQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


class DeliveryOut(Schema):
    id = fields.Integer()
    webhook_id = fields.String(metadata={"description": "The `webhook-id` of every attempt."})
    event_type = fields.String()
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    attempts = fields.Integer()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = Timestamp(allow_none=True)
    delivered_at = Timestamp(allow_none=True)
    created_at = Timestamp()
