"""One exception root for every error the service reports, and its problem (RFC 9457) body.

This module imports nothing of the project, nor Flask: every context raises these, and
``ipx.web.errors`` turns them (and the framework's own errors) into problem+json answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.exc import OperationalError


class IpxError(Exception):
    """Root of every error the service reports to a client."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra

    def to_problem(self) -> dict[str, Any]:
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

    def __init__(self, errors: dict[str, Any], detail: str | None = None) -> None:
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

    def __init__(self, grounds: list[dict[str, Any]], detail: str | None = None) -> None:
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
    """The stored log does not extend what it signed: answers needing a checkpoint fail closed."""

    status, code, title = 503, "ledger-inconsistent", "The log cannot be vouched for"


class InternalError(IpxError):
    status, code, title = 500, "internal-error", "Internal error"


class IdempotencyMismatch(IpxError):
    status, code, title = 422, "idempotency-mismatch", "Idempotency-Key reused with another body"
