"""Webhook subscriptions, their test event, delivery log and redelivery."""

from __future__ import annotations

from operator import itemgetter

from flask import current_app
from flask.views import MethodView

from ipx.auth import Role, require
from ipx.notify import subscriptions
from ipx.notify.commands import (
    CreateSubscription,
    DeleteSubscription,
    Redeliver,
    TestSubscription,
)
from ipx.notify.handlers import SUBSCRIBERS
from ipx.notify.schemas import (
    CreatedSubscriptionOut,
    DeliveryOut,
    DeliveryQuery,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionQuery,
)
from ipx.notify.urls import check_url
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import decode_cursor, page
from ipx.web.http import page_schema, read, run

blp = Blueprint(
    "subscriptions",
    __name__,
    url_prefix=f"{API_PREFIX}/subscriptions",
    description="Webhook subscriptions: signed event notifications, delivered at least once.",
)

READERS = (*SUBSCRIBERS, Role.AUDITOR)


@blp.route("")
class Subscriptions(MethodView):
    @require(*READERS)
    @blp.arguments(SubscriptionQuery, location="query")
    @blp.response(200, page_schema(SubscriptionOut))
    def get(self, query):
        """List subscriptions (banks and owners: their own)."""
        items = read(
            subscriptions.list_subscriptions,
            party_id=query.get("party_id"),
            after=decode_cursor(query["cursor"]),
            limit=query["limit"],
        )
        return page(items, query["limit"], itemgetter("id"))

    @require(*SUBSCRIBERS)
    @blp.arguments(SubscriptionIn)
    @blp.response(201, CreatedSubscriptionOut)
    @blp.alt_response(
        422,
        description="`webhook-url-not-allowed`: not http(s), or a host that is not a public "
        "address; `validation-failed`: another field",
    )
    def post(self, data):
        """Subscribe a URL to event types; the signing secret is answered only here."""
        # Resolved here, before the transaction: a slow name lookup holds no lock.
        check_url(data["url"], allow_loopback=current_app.config["WEBHOOK_ALLOW_LOOPBACK"])
        return run(CreateSubscription(**data))


@blp.route("/<int:subscription_id>")
class SubscriptionById(MethodView):
    @require(*READERS)
    @blp.response(200, SubscriptionOut)
    def get(self, subscription_id):
        """Read a subscription."""
        return read(subscriptions.get_subscription, subscription_id)

    @require(*SUBSCRIBERS)
    @blp.response(200, SubscriptionOut)
    def delete(self, subscription_id):
        """Delete a subscription and its delivery log; nothing more is sent to it."""
        return run(DeleteSubscription(subscription_id))


@blp.route("/<int:subscription_id>/test")
class SubscriptionTest(MethodView):
    @require(*SUBSCRIBERS)
    @blp.response(202, DeliveryOut)
    def post(self, subscription_id):
        """Queue a signed `subscription.test` event to the subscription's URL."""
        return run(TestSubscription(subscription_id))


@blp.route("/<int:subscription_id>/deliveries")
class Deliveries(MethodView):
    @require(*READERS)
    @blp.arguments(DeliveryQuery, location="query")
    @blp.response(200, page_schema(DeliveryOut))
    def get(self, query, subscription_id):
        """The subscription's delivery log: status, attempts, last status code, oldest first."""
        items = read(
            subscriptions.list_deliveries,
            subscription_id,
            status=query.get("status"),
            after=decode_cursor(query["cursor"]),
            limit=query["limit"],
        )
        return page(items, query["limit"], itemgetter("id"))


@blp.route("/<int:subscription_id>/deliveries/<int:delivery_id>/redeliver")
class Redelivery(MethodView):
    @require(*SUBSCRIBERS)
    @blp.response(202, DeliveryOut)
    @blp.alt_response(
        409, description="`delivery-in-flight`: a worker is sending the delivery right now"
    )
    def post(self, subscription_id, delivery_id):
        """Send a delivery again now, with the same `webhook-id`."""
        return run(Redeliver(subscription_id, delivery_id))
