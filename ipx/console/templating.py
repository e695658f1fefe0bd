"""Helpers the console's templates call: links that keep the page's query, labels, the user."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.urls import iri_to_uri

from ipx.console.actions import may
from ipx.console.checklist_words import fact_sentence, ground_title
from ipx.console.form_once import form_once
from ipx.console.labels import label
from ipx.console.session import console_principal

#: The main navigation: the link's words, who sees the link, and the
#: pages it stands for (the first is where it leads).
NAVIGATION = (
    (_l("Dashboard"), "user", ("console.dashboard",)),
    (_l("Parties"), "staff", ("console.party_list", "console.new_party")),
    (_l("Assets"), "reader", ("console.asset_list", "console.asset_page", "console.new_asset")),
    (
        _l("Applications"),
        "reader",
        ("console.application_list", "console.application_page", "console.new_application"),
    ),
    (_l("Pledges"), "reader", ("console.pledge_list", "console.pledge_page")),
    (
        _l("Transfer requests"),
        "reader",
        ("console.transfer_request_list", "console.transfer_request_page"),
    ),
    (
        _l("Disposals"),
        "reader",
        (
            "console.disposal_list",
            "console.disposal_page",
            "console.default_page",
            "console.new_disposal",
        ),
    ),
    (_l("Transactions"), "staff", ("console.transaction_list",)),
    (
        _l("Valuations"),
        "reader",
        ("console.valuation_list", "console.request_valuation", "console.valuation_page"),
    ),
    (_l("Model risk"), "staff", ("console.model_backtest", "console.model_monitoring")),
    (_l("Support programmes"), "reader", ("console.support_overview", "console.support_programme")),
    (_l("Collateral"), "bank", ("console.portfolio_page",)),
    (
        _l("Notifications"),
        "reader",
        ("console.subscription_list", "console.subscription_page", "console.subscribe"),
    ),
    (_l("Public search"), "anyone", ("console.public",)),
    (_l("API documentation"), "anyone", ("api_docs.docs",)),
)
READER_ROLES = {"clerk", "auditor", "bank", "owner", "admin"}
STAFF_ROLES = {"clerk", "auditor", "admin"}


def register(blp: Blueprint) -> None:
    helpers = (url_with, navigation, current_user, label, may, ground_title, fact_sentence)
    for helper in (*helpers, form_once):
        blp.add_app_template_global(helper)


def url_with(**changes) -> str:
    """This page's URL with some query arguments replaced (None removes one)."""
    args: dict[str, Any] = request.args.to_dict(flat=True)
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    assert request.endpoint is not None  # a routed page is rendering
    return iri_to_uri(url_for(request.endpoint, **(request.view_args or {}), **args))


def navigation() -> list[tuple[str, str, bool]]:
    """(url, words, is the current page) of the links this user may follow."""
    principal = console_principal()
    shown = []
    for words, audience, endpoints in NAVIGATION:
        if audience == "user" and principal is None:
            continue
        if audience == "reader" and (principal is None or principal.role not in READER_ROLES):
            continue
        if audience == "staff" and (principal is None or principal.role not in STAFF_ROLES):
            continue
        if audience == "bank" and (principal is None or principal.role != "bank"):
            continue
        shown.append((url_for(endpoints[0]), words, request.endpoint in endpoints))
    return shown


def current_user():
    return g.get("console_user")
