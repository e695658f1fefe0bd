"""One exception root and one problem+json shape (RFC 9457) for every error the API returns."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from ipx.ledger.checkpoints import TreeNotConsistent

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class IpxError(Exception):
    """Root of every error the service reports to a client."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra

    def to_problem(self) -> dict:
        return {
            "type": f"https://ipx.example/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            **self.extra,
        }


class ValidationFailed(IpxError):
    status, code, title = 422, "validation-failed", "The request is not valid"

    def __init__(self, errors: dict, detail: str | None = None) -> None:
        super().__init__(detail or "One or more fields are invalid.", errors=errors)


class MalformedRequest(IpxError):
    status, code, title = 400, "malformed-request", "The request body could not be read"


class UnsupportedMediaType(IpxError):
    status, code, title = 415, "unsupported-media-type", "The body must be JSON"


class Unauthorized(IpxError):
    status, code, title = 401, "unauthorized", "A valid API key is required"


class Forbidden(IpxError):
    status, code, title = 403, "forbidden", "Your role may not make this call"


class NotFound(IpxError):
    status, code, title = 404, "not-found", "No such record"


class Conflict(IpxError):
    status, code, title = 409, "conflict", "The request conflicts with the current state"

    def __init__(self, detail: str | None = None, *, code: str | None = None, **extra: Any):
        super().__init__(detail, **extra)
        if code:
            self.code = code


class InvalidTransition(Conflict):
    code, title = "invalid-transition", "That transition is not allowed from the current state"


class RegistrationRefused(Conflict):
    code, title = "registration-refused", "The pledge cannot be registered"

    def __init__(self, grounds: list[dict], detail: str | None = None) -> None:
        super().__init__(
            detail or "Grounds for refusal apply: " + ", ".join(g["code"] for g in grounds),
            grounds=grounds,
        )


class ServiceUnavailable(IpxError):
    status, code, title = 503, "service-unavailable", "Service unavailable"


class LockTimeout(IpxError):
    status, code, title = 503, "lock-timeout", "A record is busy"


#: PostgreSQL's SQLSTATE when lock_timeout expires.
LOCK_NOT_AVAILABLE = "55P03"


def is_lock_timeout(exc: OperationalError) -> bool:
    """The statement gave up waiting for a row lock (``IPX_DB_LOCK_TIMEOUT_MS``)."""
    return getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE


class LedgerInconsistent(IpxError):
    status, code, title = 503, "ledger-inconsistent", "The log cannot be vouched for"


class InternalError(IpxError):
    status, code, title = 500, "internal-error", "Internal error"


class IdempotencyMismatch(IpxError):
    status, code, title = 422, "idempotency-mismatch", "Idempotency-Key reused with another body"


def problem_response(problem: dict, headers: dict | None = None) -> Response:
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
    @app.errorhandler(IpxError)
    def _ipx_error(exc: IpxError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem_response(exc.to_problem(), headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return problem_response(problem_from_http_exception(exc))

    @app.errorhandler(IntegrityError)
    def _integrity_error(exc: IntegrityError):
        log.info("integrity error mapped to 409: %s", exc.orig)
        return problem_response(
            Conflict("The change conflicts with existing records.").to_problem()
        )

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    @app.errorhandler(UnicodeEncodeError)
    def _unstorable_value(exc: Exception):
        # The driver refused a value the schemas let through: a NUL character or a number out
        # of range (PostgreSQL), an integer beyond 64 bits (SQLite), a lone UTF-16 surrogate.
        # The transaction is rolled back, so nothing was stored: the client's input is at fault.
        log.info("unstorable value mapped to 422: %s", exc)
        problem = ValidationFailed(
            {"_body": ["A value cannot be stored: out of range, or an invalid character."]}
        )
        return problem_response(problem.to_problem())

    @app.errorhandler(RecursionError)
    def _too_deep(exc: RecursionError):
        # Only a request body nested thousands of levels deep makes the JSON decoder recurse
        # this far; it is malformed input, not a fault of the service.
        log.info("request nested too deeply: %s", exc)
        return problem_response(
            MalformedRequest("The JSON body is nested too deeply.").to_problem()
        )

    @app.errorhandler(TreeNotConsistent)
    def _ledger_inconsistent(exc: TreeNotConsistent):
        # Logged where it was found; no Retry-After: it lasts until an operator repairs it.
        problem = LedgerInconsistent(f"The log cannot be vouched for: {exc}.")
        return problem_response(problem.to_problem())

    @app.errorhandler(OperationalError)
    def _operational_error(exc: OperationalError):
        if is_lock_timeout(exc):
            # Another request held a row this one needs for longer than the lock timeout:
            # a busy record, not a fault. Nothing was written (the transaction rolled back).
            log.warning("lock wait timed out: %s", exc.orig)
            problem = LockTimeout("A record this request needs is busy; retry shortly.")
            return problem_response(problem.to_problem(), {"Retry-After": "1"})
        log.exception("database unavailable")
        problem = ServiceUnavailable("The database is busy or unavailable; retry later.")
        return problem_response(problem.to_problem(), {"Retry-After": "1"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error")
        problem = InternalError("An internal error occurred; it has been logged.")
        return problem_response(problem.to_problem())
