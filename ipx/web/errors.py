"""problem+json answers (RFC 9457) for the project's errors and the framework's."""

from __future__ import annotations

import logging

from flask import Flask, Response, json
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from ipx.errors import (
    Conflict,
    InternalError,
    IpxError,
    LockTimeout,
    MalformedRequest,
    ServiceUnavailable,
    ValidationFailed,
    is_lock_timeout,
)

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


def problem_response(problem: dict, headers: dict | None = None) -> Response:
    """A problem+json answer of ``problem`` (its ``status``), with extra headers if given."""
    body = json.dumps(problem)
    response = Response(body, status=problem["status"], mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


_HTTP_CODES = {
    400: "malformed-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "too-many-requests",
}


def problem_from_http_exception(exc: HTTPException) -> dict:
    """Turn werkzeug/flask-smorest/webargs HTTP errors into the project's problem shape."""
    status = exc.code or 500
    problem = {
        "type": "about:blank",
        "title": exc.name,
        "status": status,
        "detail": exc.description or exc.name,
        "code": _HTTP_CODES.get(status, "http-error"),
    }
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if messages:
        # webargs reports per location ({"json": {...}}); clients want the fields themselves.
        if isinstance(messages, dict) and len(messages) == 1:
            ((location, field_errors),) = messages.items()
            if location in ("json", "query", "form", "headers") and isinstance(field_errors, dict):
                messages = field_errors
            elif isinstance(field_errors, list) and location == "json":
                messages = {"_body": field_errors}
        if status == 422:
            problem["errors"] = messages
            problem["title"] = ValidationFailed.title
            problem["detail"] = "One or more fields are invalid."
        elif status == 400:
            problem["errors"] = messages
            problem["detail"] = "The request body is not valid JSON."
    return problem


def register_error_handlers(app: Flask) -> None:
    """Answer every error as problem+json: the project's, the framework's and the database's."""
    app.register_error_handler(IpxError, _ipx_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(IntegrityError, _integrity_error)
    for unstorable in (DataError, OverflowError, UnicodeEncodeError):
        app.register_error_handler(unstorable, _unstorable_value)
    app.register_error_handler(RecursionError, _too_deep)
    app.register_error_handler(OperationalError, _operational_error)
    app.register_error_handler(Exception, _unexpected)


def _ipx_error(exc: IpxError) -> Response:
    # The ledger's LedgerInconsistent (a tree it refuses to sign) arrives here too, logged where
    # it was found; no Retry-After: it lasts until an operator repairs the log.
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem_response(exc.to_problem(), headers)


def _http_error(exc: HTTPException) -> Response:
    return problem_response(problem_from_http_exception(exc))


def _integrity_error(exc: IntegrityError) -> Response:
    log.info("integrity error mapped to 409: %s", exc.orig)
    return problem_response(Conflict("The change conflicts with existing records.").to_problem())


def _unstorable_value(exc: Exception) -> Response:
    # The driver refused a value the schemas let through: a NUL character or a number out of
    # range (PostgreSQL), an integer beyond 64 bits (SQLite), a lone UTF-16 surrogate. The
    # transaction is rolled back, so nothing was stored: the client's input is at fault.
    log.info("unstorable value mapped to 422: %s", exc)
    problem = ValidationFailed(
        {"_body": ["A value cannot be stored: out of range, or an invalid character."]}
    )
    return problem_response(problem.to_problem())


def _too_deep(exc: RecursionError) -> Response:
    # Only a request body nested thousands of levels deep makes the JSON decoder recurse this
    # far; it is malformed input, not a fault of the service.
    log.info("request nested too deeply: %s", exc)
    return problem_response(MalformedRequest("The JSON body is nested too deeply.").to_problem())


def _operational_error(exc: OperationalError) -> Response:
    if is_lock_timeout(exc):
        # Another request held a row this one needs for longer than the lock timeout: a busy
        # record, not a fault. Nothing was written (the transaction rolled back).
        log.warning("lock wait timed out: %s", exc.orig)
        problem: IpxError = LockTimeout("A record this request needs is busy; retry shortly.")
        return problem_response(problem.to_problem(), {"Retry-After": "1"})
    log.exception("database unavailable")
    problem = ServiceUnavailable("The database is busy or unavailable; retry later.")
    return problem_response(problem.to_problem(), {"Retry-After": "1"})


def _unexpected(exc: Exception) -> Response:
    log.exception("unexpected error")
    problem = InternalError("An internal error occurred; it has been logged.")
    return problem_response(problem.to_problem())
