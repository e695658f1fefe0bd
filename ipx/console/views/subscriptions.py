"""Webhook subscriptions in the console: a bank's or an owner's own (a clerk's for any party),
subscribing a URL to event types (the signing secret is shown once, on the answer to the
form), each subscription's delivery log with a test event, redelivery and deletion."""

from __future__ import annotations

from operator import itemgetter

from flask import Blueprint, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _

from ipx.auth import Role
from ipx.console import actions, reads
from ipx.console.action_forms import ButtonForm, SubscriptionForm
from ipx.console.field_messages import registry_message
from ipx.console.form_once import once
from ipx.console.session import console_principal, login_required
from ipx.errors import ValidationFailed
from ipx.notify import subscriptions
from ipx.notify.commands import (
    CreateSubscription,
    DeleteSubscription,
    Redeliver,
    TestSubscription,
)
from ipx.notify.urls import check_url
from ipx.web import fields as pages
from ipx.web.fields import decode_cursor

SUBSCRIBERS = (Role.BANK, Role.OWNER, Role.CLERK)
READERS = (*SUBSCRIBERS, Role.AUDITOR)
LIST_LIMIT = 200


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/subscriptions", view_func=subscription_list)
    blp.add_url_rule("/subscriptions", "subscribe", subscribe, methods=["POST"])
    page = "/subscriptions/<int:subscription_id>"
    blp.add_url_rule(page, view_func=subscription_page)
    blp.add_url_rule(f"{page}/test", "test_subscription", test, methods=["POST"])
    blp.add_url_rule(f"{page}/delete", "delete_subscription", delete, methods=["POST"])
    blp.add_url_rule(
        f"{page}/deliveries/<int:delivery_id>/redeliver",
        "redeliver",
        redeliver,
        methods=["POST"],
    )


@login_required(*READERS)
def subscription_list(form: SubscriptionForm | None = None, problems=(), status: int = 200):
    """The user's subscriptions (a clerk's and an auditor's: all), and the form to add one."""
    limit = reads.PAGE_SIZE
    items = reads.read(
        subscriptions.list_subscriptions,
        party_id=None,
        after=decode_cursor(request.args.get("cursor")),
        limit=limit,
    )
    page = render_template(
        "console/subscriptions.html",
        **pages.page(items, limit, itemgetter("id")),
        form=form or SubscriptionForm(formdata=None),
        problems=list(problems),
    )
    return page, status


@login_required(*SUBSCRIBERS)
@once
def subscribe():
    """Subscribe; the answer shows the signing secret, once (it is not shown again)."""
    form = SubscriptionForm()
    if not form.validate_on_submit():
        return subscription_list(form, status=422)
    url = form.url.data.strip()
    try:  # the host resolved here, before the transaction (as the API does)
        check_url(url, allow_loopback=current_app.config["WEBHOOK_ALLOW_LOOPBACK"])
    except ValidationFailed as refused:
        words = [registry_message(str(m)) for m in refused.extra["errors"]["url"]]
        form.url.errors = [*form.url.errors, *words]
        return subscription_list(form, status=422)
    who = console_principal()
    party_id = form.party_id.data if who is not None and who.sees_all() else None  # (shown so)
    command = CreateSubscription(url, list(form.events.data), None, party_id)
    outcome = actions.attempt(command, form)
    if not outcome.ok:
        return subscription_list(form, outcome.problems, 422)
    page = render_template("console/subscription_created.html", made=outcome.result)
    # The page the form led to (where the same form sent again goes); the secret is on this
    # answer only, never cached.
    made = url_for("console.subscription_page", subscription_id=outcome.result["id"])
    return page, 201, {"Cache-Control": "no-store", "Location": made}


@login_required(*READERS)
def subscription_page(subscription_id: int):
    """A subscription and its delivery log (the latest first), with its actions."""
    subscription = reads.read(subscriptions.get_subscription, subscription_id)
    deliveries = reads.read(
        subscriptions.list_deliveries,
        subscription_id,
        status=request.args.get("status") or None,
        after=None,
        limit=LIST_LIMIT,
        newest_first=True,
    )
    return render_template(
        "console/subscription.html",
        subscription=subscription,
        deliveries=deliveries[:LIST_LIMIT],
    )


@login_required(*SUBSCRIBERS)
@once
def test(subscription_id: int):
    """Queue a signed test event to the subscription's URL."""
    return _act(subscription_id, TestSubscription(subscription_id), _("A test event is queued."))


@login_required(*SUBSCRIBERS)
@once
def redeliver(subscription_id: int, delivery_id: int):
    """Send a delivery again now (the same webhook-id)."""
    command = Redeliver(subscription_id, delivery_id)
    return _act(subscription_id, command, _("The delivery is queued again."))


@login_required(*SUBSCRIBERS)
@once
def delete(subscription_id: int):
    """Delete the subscription and its delivery log: nothing more is sent to it."""
    command, done = DeleteSubscription(subscription_id), _("The subscription is deleted.")
    return _act(subscription_id, command, done, url_for("console.subscription_list"))


def _act(subscription_id: int, command, done: str, then: str | None = None):
    """A button's command; then the subscription's page (or ``then``), or its refusal there."""
    return actions.submit(
        ButtonForm(),
        lambda _form: command,
        lambda problems: _problems(subscription_id, problems),
        done,
        then or url_for("console.subscription_page", subscription_id=subscription_id),
    )


def _problems(subscription_id: int, problems: list[str]):
    for problem in problems or [_("The form could not be sent: open the page again.")]:
        flash(problem, "error")
    target = url_for("console.subscription_page", subscription_id=subscription_id)
    return current_app.redirect(target, 303)
