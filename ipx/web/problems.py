"""The problem+json bodies (RFC 9457) as the OpenAPI document describes them.

Only documentation: ``ipx.web.errors`` builds the bodies. The schemas list every member the
service sends, and no other (``additionalProperties: false``), so a test that validates real
answers against the document notices when the two drift apart.
"""

from __future__ import annotations

from http import HTTPStatus

from marshmallow import Schema, fields

from ipx.web.errors import PROBLEM_JSON, PROBLEM_TYPE_BASE


class Problem(Schema):
    """An error answer: RFC 9457 members plus a stable machine ``code`` to branch on."""

    type = fields.String(
        required=True,
        metadata={
            "description": f"URI of the problem type: `{PROBLEM_TYPE_BASE}` followed by the "
            "`code`, one type per code.",
            "example": f"{PROBLEM_TYPE_BASE}not-found",
        },
    )
    title = fields.String(required=True, metadata={"example": "No such record"})
    status = fields.Integer(
        required=True, metadata={"description": "The HTTP status code.", "example": 404}
    )
    detail = fields.String(required=True, metadata={"example": "No pledge with id 7."})
    code = fields.String(
        required=True,
        metadata={"description": "Stable machine code of the problem.", "example": "not-found"},
    )


class ValidationProblem(Problem):
    """A request that is not valid: ``errors`` holds the messages per field."""

    errors = fields.Dict(
        keys=fields.String(),
        metadata={
            "description": "Messages per field (`_body`, `_query` or `_schema` for the whole "
            "request): a list of strings, or an object for nested fields and list items.",
            "example": {"secured_amount": ["The amount must be greater than zero."]},
        },
    )


#: What each error status means across the API; an operation's own codes are documented on it.
ERRORS: dict[int, tuple[type[Problem], str]] = {
    400: (ValidationProblem, "`malformed-request`: the body is not valid JSON."),
    401: (Problem, "`unauthorized`: no API key, or not a valid one."),
    403: (Problem, "`forbidden`: the key's role may not make this call."),
    404: (Problem, "`not-found`: no such record, or one the caller may not see."),
    409: (
        Problem,
        "The request conflicts with the current state: `invalid-transition`, `conflict`, "
        "`idempotency-in-progress`, or a code of the operation's own.",
    ),
    413: (Problem, "`payload-too-large`: the body is larger than the service accepts."),
    415: (Problem, "`unsupported-media-type`: a request body must be `application/json`."),
    422: (
        ValidationProblem,
        "`validation-failed`, with `errors` per field; `idempotency-mismatch` when an "
        "Idempotency-Key is reused with another body or path.",
    ),
    429: (
        Problem,
        "`rate-limited`: too many requests from this address; retry after `Retry-After`.",
    ),
    503: (
        Problem,
        "`lock-timeout` (a record is busy), `service-unavailable` (the database) or "
        "`ledger-inconsistent` (the log cannot be vouched for); retry after `Retry-After`.",
    ),
}
DEFAULT_ERROR = (Problem, "`internal-error`: an unexpected fault, logged by the service.")

#: The 503 of an operation that may read the read replica (``IPX_READ_DATABASE_URL``): the
#: general causes, and the replica's own (``ipx.ledger.replica.ReplicaBehind``).
REPLICA_503 = (
    "`lock-timeout` (a record is busy), `service-unavailable` (the database) or "
    "`ledger-inconsistent` (the log cannot be vouched for); retry after `Retry-After`. "
    "`replica-behind`: the read replica this read is answered from holds no signed "
    "checkpoint yet (a new replica or service); retry shortly."
)
REPLICA_BEHIND_EXAMPLE = {
    "type": f"{PROBLEM_TYPE_BASE}replica-behind",
    "title": "The read replica holds no signed checkpoint yet",
    "status": 503,
    "detail": "The read replica has not received a signed checkpoint from the primary yet; retry.",
    "code": "replica-behind",
}

HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "example": "Bearer"}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
    503: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
}


def problem_doc(status: int | None, description: str | None = None, schema=None) -> dict:
    """An OpenAPI response object for an error status (None: the default response)."""
    if status is None:
        default_schema, default_description = DEFAULT_ERROR
    else:
        default_schema, default_description = ERRORS.get(
            status, (Problem, HTTPStatus(status).phrase)
        )
    response = {
        "description": description or default_description,
        "content": {PROBLEM_JSON: {"schema": schema or default_schema}},
    }
    if status in HEADERS:
        response["headers"] = HEADERS[status]
    return response
