"""The console's blueprint: every page under ``/console``."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

from ipx.console import i18n, session, templating

PACKAGE = Path(__file__).resolve().parent.parent


def console_blueprint() -> Blueprint:
    """The blueprint with its pages, error pages and per-request steps."""
    from ipx.console.views import (
        applications,
        assets,
        auth,
        dashboard,
        defaults,
        disposals,
        errors,
        model_risk,
        parties,
        pledges,
        portfolio,
        public,
        subscriptions,
        support,
        transactions,
        transfer_requests,
        valuations,
    )

    blp = Blueprint(
        "console",
        __name__,
        url_prefix="/console",
        template_folder=str(PACKAGE / "templates"),
        static_folder=str(PACKAGE / "static"),
    )
    blp.before_request(i18n.remember_language)
    blp.before_request(session.load_login)
    blp.before_request(_check_csrf)
    records = (
        parties,
        assets,
        applications,
        pledges,
        transfer_requests,
        defaults,
        disposals,
        transactions,
        valuations,
        model_risk,
        support,
        portfolio,
        subscriptions,
    )
    pages = (auth, dashboard, public, *records)
    for module in (*pages, errors, templating):
        module.register(blp)
    return blp


def _check_csrf() -> None:
    """Every form that changes something (POST) carries the session's CSRF token."""
    from flask import current_app

    current_app.extensions["ipx.csrf"].protect()
