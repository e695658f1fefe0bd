"""What every package's routes share: the request's unit of work and paginated answers."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from flask import current_app, request
from marshmallow import Schema, fields

from ipx.auth import Principal, current_principal
from ipx.errors import UnsupportedMediaType, ValidationFailed
from ipx.usecases import UseCases
from ipx.web.api import API_PREFIX
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


def check_request_body() -> None:
    """``before_request``: a body must be JSON (415 otherwise), and NUL is never valid text here
    (PostgreSQL cannot store it while SQLite can; refusing it up front gives both backends the
    same answer, 422)."""
    if (
        request.method in ("POST", "PUT", "PATCH")
        and request.content_length
        and not (request.is_json)
        and request.path.startswith(API_PREFIX)  # the console's pages post HTML forms
    ):
        raise UnsupportedMediaType("Send the body as application/json.")

    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        raise ValidationFailed({"_query": ["NUL characters are not accepted."]})
    body = request.get_data(cache=True)
    if b"\x00" in body or (b"\\u0000" in body and _json_has_nul(body)):
        raise ValidationFailed({"_body": ["NUL characters are not accepted."]})


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
    """Answer a body that is already plain JSON (dates as ISO 8601) without a marshmallow pass.

    For large answers whose fields need no conversion; the route's schema stays for the OpenAPI
    document.
    """

    def iso(value):
        if isinstance(value, date | datetime):
            return value.isoformat()
        raise TypeError(f"{type(value).__name__} is not JSON")

    return current_app.response_class(
        json.dumps(body, default=iso, ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )
