"""What every package's routes share: the request's unit of work and paginated answers."""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import IO, TypeVar

from flask import Request, current_app, request
from marshmallow import Schema, fields
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property

from ipx.auth import Principal, authorize, current_principal
from ipx.errors import UnsupportedMediaType, ValidationFailed
from ipx.usecases import UseCases
from ipx.web.api import API_PREFIX
from ipx.web.fields import utc_text
from ipx.web.idempotency import current_claim

R = TypeVar("R")


def principal() -> Principal:
    """The authenticated caller (routes call this after ``require``)."""
    who = current_principal()
    assert who is not None, "require() must guard this route"
    return who


def use_cases() -> UseCases:
    """The app's use-case runner (wired in ``create_app``)."""
    return current_app.extensions["ipx.usecases"]


def run(command: object):
    """Run a write use case for the caller; on an ``Idempotency-Key`` route, inside the key's
    transaction (the claim then stores the answer and commits)."""
    return use_cases().run(command, principal(), held=current_claim())


def read(query: Callable[..., R], /, *args, **kwargs) -> R:
    """Answer a read for the caller (None on public routes) through the use-case runner."""
    return use_cases().read(query, current_principal(), *args, **kwargs)


@functools.cache
def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """``{items: [...], next_cursor}`` around an item schema."""
    return type(
        f"{item_schema.__name__.removesuffix('Out')}Page",
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "next_cursor": fields.String(allow_none=True),
        },
    )


class BoundedRequest(Request):
    """Flask's request, with a body sent without ``Content-Length`` (chunked) read only up to
    ``MAX_CONTENT_LENGTH``: beyond it, 413. (Werkzeug stops reading such a body at the limit and
    hands on the truncated bytes, which then read as malformed JSON, a 400.)"""

    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        if (
            self.content_length is not None
            or limit is None
            or "wsgi.input_terminated" not in self.environ  # the server did not de-chunk it
        ):
            return super().stream
        return io.BytesIO(_read_at_most(self.environ["wsgi.input"], limit))


def _read_at_most(stream: IO[bytes], limit: int) -> bytes:
    """The whole stream, or 413 as soon as it holds more than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(64 * 1024, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise RequestEntityTooLarge()


def check_request_body() -> None:
    """``before_request``, in this order: a guarded API view's caller must be authorized (401,
    403) before anything about the request is judged; no NUL in the query (422); the body no
    larger than ``MAX_CONTENT_LENGTH`` however it is sent (413); JSON if the API gets one (415);
    and no NUL in it (PostgreSQL cannot store NUL while SQLite can: refusing it up front gives
    both backends the same answer, 422)."""
    api = request.path.startswith(API_PREFIX)  # the console's pages post HTML forms
    if api:
        _authorize_first()
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        raise ValidationFailed({"_query": ["NUL characters are not accepted."]})
    body = request.get_data(cache=True)
    if api and body and request.method in ("POST", "PUT", "PATCH") and not request.is_json:
        raise UnsupportedMediaType("Send the body as application/json.")
    if b"\x00" in body or (b"\\u0000" in body and _json_has_nul(body)):
        raise ValidationFailed({"_body": ["NUL characters are not accepted."]})


def _authorize_first() -> None:
    """The role check of ``@require`` on the view this request goes to, run before the body or
    the query is parsed: without a key, a call is 401 whatever it sends."""
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    method = "get" if request.method == "HEAD" else request.method.lower()
    handler = getattr(view_class, method, None) if view_class is not None else view
    roles = getattr(handler, "required_roles", None)
    if roles:
        authorize(current_principal(), roles)


def _json_has_nul(body: bytes) -> bool:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return False  # not JSON: the parser will say so
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and "\x00" in item:
            return True
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def plain_json(body: dict, status: int = 200):
    """Answer a body that is already plain JSON (dates as ISO 8601, times as ``Timestamp``
    writes them) without a marshmallow pass.

    For large answers whose fields need no conversion; the route's schema stays for the OpenAPI
    document.
    """

    def iso(value):
        if isinstance(value, datetime):  # (a datetime is a date: first)
            return utc_text(value)
        if isinstance(value, date):
            return value.isoformat()
        raise TypeError(f"{type(value).__name__} is not JSON")

    return current_app.response_class(  # compact, with a final newline, as Flask's answers
        json.dumps(body, default=iso, ensure_ascii=False, separators=(",", ":")) + "\n",
        status=status,
        mimetype="application/json",
    )
