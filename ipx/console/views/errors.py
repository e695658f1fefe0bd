"""Error pages: a problem in the page's language, never a stack trace.

What is logged of an unexpected error is its type, where it happened and, for a database
error, the statement with its placeholders: never the exception's message, which for a
database error carries the bound values (a party's name, an identity number) and the
server's own words about them ("Key (credit_code)=(...) already exists").
"""

from __future__ import annotations

import logging
import traceback

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from ipx.errors import IpxError, NotFound, is_lock_timeout
from ipx.web.errors import safe_description
from ipx.web.metrics import LOCK_TIMEOUTS

log = logging.getLogger(__name__)


def register(blp: Blueprint) -> None:
    # Any other path under /console is a page that does not exist: answered here, as HTML.
    blp.add_url_rule("/<path:unknown>", view_func=_unknown_page)
    blp.register_error_handler(IpxError, _ipx_error)
    blp.register_error_handler(CSRFError, _csrf_error)
    blp.register_error_handler(OperationalError, _database_busy)
    blp.register_error_handler(HTTPException, _http_error)
    blp.register_error_handler(Exception, _unexpected)


def _unknown_page(unknown: str):
    raise NotFound()


def error_page(status: int, title: str, detail: str | None = None):
    return render_template("console/error.html", status=status, title=title, detail=detail), status


TITLES = {
    400: lambda: _("The request could not be understood."),
    401: lambda: _("Please log in."),
    403: lambda: _("Your role may not open this page."),
    404: lambda: _("There is no such page or record."),
    405: lambda: _("This page does not accept that request."),
    409: lambda: _("That conflicts with the current state of the record."),
    413: lambda: _("The request is too large."),
    422: lambda: _("Some of the input is not valid."),
    429: lambda: _("Too many requests. Please wait a moment and try again."),
    503: lambda: _("The service is busy. Please try again shortly."),
}


def _title(status: int) -> str:
    return TITLES.get(status, lambda: _("Something went wrong."))()


def _ipx_error(exc: IpxError):
    # The record's own wording (for a 404: "No pledge with id 7") would confirm what the user
    # may not know; the page says only what kind of problem it is.
    if exc.status == 403 and request.method == "POST":
        return error_page(403, _("Your role may not do this."), _("Nothing was changed."))
    return error_page(exc.status, _title(exc.status))


def _csrf_error(exc: CSRFError):
    return error_page(
        400,
        _("This form has expired or did not come from this site."),
        _("Nothing was changed. Go back, reload the page and try again."),
    )


def _http_error(exc: HTTPException):
    status = exc.code or 500
    return error_page(status, _title(status))


def _database_busy(exc: OperationalError):
    if is_lock_timeout(exc):  # a busy record, counted as the API counts its 503 lock-timeout
        log.warning("lock wait timed out on a console page: %s", safe_description(exc))
        LOCK_TIMEOUTS.labels(lock="row").inc()
    else:
        log.warning("database busy or unavailable on a console page: %s", safe_description(exc))
    page, status = error_page(503, _title(503))
    return page, status, {"Retry-After": "1"}


def _unexpected(exc: Exception):
    log.error(
        "unexpected error on a console page: %s\n%s",
        safe_description(exc),
        "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
    )
    return error_page(500, _("Something went wrong."), _("The error has been logged."))
