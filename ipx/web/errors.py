"""problem+json answers (RFC 9457) for the project's errors and the framework's."""

from __future__ import annotations

import logging
import traceback
from http import HTTPStatus

from flask import Flask, Response, json
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
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
from ipx.web.metrics import LOCK_TIMEOUTS

PROBLEM_JSON = "application/problem+json"
#: Every problem ``code`` names exactly one problem type, this URI followed by the code; the
#: project's errors (``IpxError.to_problem``) and the framework's (below) alike.
PROBLEM_TYPE_BASE = "https://ipx.example/problems/"
log = logging.getLogger(__name__)


def problem_type(code: str) -> str:
    """The problem type URI of a machine ``code``: one type per code, whoever raised it."""
    return PROBLEM_TYPE_BASE + code


def problem_response(problem: dict, headers: dict | None = None) -> Response:
    """A problem+json answer of ``problem`` (its ``status``), with extra headers if given.

    Every answer passes here, so the ``type`` is set from the ``code`` here, once for all."""
    problem = {**problem, "type": problem_type(problem["code"])}
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
    429: "rate-limited",
    500: "internal-error",
    503: "service-unavailable",
}


def http_code(status: int) -> str:
    """The machine code of a plain HTTP error: the table above, else the status phrase
    (``431`` -> ``request-header-fields-too-large``), so no two statuses share a code."""
    known = _HTTP_CODES.get(status)
    if known:
        return known
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return f"http-{status}"
    return "-".join("".join(c if c.isalnum() else " " for c in phrase).lower().split())


def problem_from_http_exception(exc: HTTPException) -> dict:
    """Turn werkzeug/flask-smorest/webargs HTTP errors into the project's problem shape."""
    status = exc.code or 500
    code = http_code(status)
    problem = {
        "type": problem_type(code),
        "title": exc.name,
        "status": status,
        "detail": exc.description or exc.name,
        "code": code,
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
    if status == 429:
        problem["detail"] = (
            f"Too many requests from this address (limit: {exc.description}); "
            "retry after Retry-After seconds."
        )
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


def safe_description(exc: BaseException) -> str:
    """What the log may say of an error: its type (and its database driver's), and for a
    database error the statement with its placeholders and the constraint it broke. Never the
    message: a driver's quotes the values ("Key (credit_code)=(...) already exists"), and a
    validator's may quote the input (an identity number)."""
    described = f"{type(exc).__module__}.{type(exc).__qualname__}"
    if isinstance(exc, StatementError):
        orig = exc.orig
        if orig is not None:
            described += f" ({type(orig).__module__}.{type(orig).__qualname__})"
        constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
        if constraint:
            described += f" on constraint {constraint}"
        if exc.statement:
            described += f" in: {' '.join(exc.statement.split())}"
    return described


def _log_fault(message: str, exc: BaseException) -> None:
    """An error the service did not expect, with where it happened (the traceback's frames)."""
    frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
    log.error("%s: %s\n%s", message, safe_description(exc), frames)


def _integrity_error(exc: IntegrityError) -> Response:
    log.info("integrity error mapped to 409: %s", safe_description(exc))
    return problem_response(Conflict("The change conflicts with existing records.").to_problem())


def _unstorable_value(exc: Exception) -> Response:
    # The driver refused a value the schemas let through: a NUL character or a number out of
    # range (PostgreSQL), an integer beyond 64 bits (SQLite), a lone UTF-16 surrogate. The
    # transaction is rolled back, so nothing was stored: the client's input is at fault.
    log.info("unstorable value mapped to 422: %s", safe_description(exc))
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
        log.warning("lock wait timed out: %s", safe_description(exc))
        LOCK_TIMEOUTS.labels(lock="row").inc()
        problem: IpxError = LockTimeout("A record this request needs is busy; retry shortly.")
        return problem_response(problem.to_problem(), {"Retry-After": "1"})
    _log_fault("database unavailable", exc)
    problem = ServiceUnavailable("The database is busy or unavailable; retry later.")
    return problem_response(problem.to_problem(), {"Retry-After": "1"})


def _unexpected(exc: Exception) -> Response:
    _log_fault("unexpected error", exc)
    problem = InternalError("An internal error occurred; it has been logged.")
    return problem_response(problem.to_problem())
