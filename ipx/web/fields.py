"""Marshmallow fields and schemas shared by every package's API."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any

from marshmallow import Schema, fields, validate

from ipx.china_time import utc_text
from ipx.errors import ValidationFailed

# ASCII digits only: re's \d (and Decimal) would also take full-width or Arabic-Indic digits.
# No sign, no exponent, no surrounding whitespace: the string is the amount, as written.
MONEY_PATTERN = re.compile(r"^[0-9]{1,15}(\.[0-9]{1,2})?$")
#: The same, greater than zero: not all zeros ("0", "000.00"). Both patterns are what the
#: OpenAPI document states (ECMA-262, as JSON Schema reads them) and what ``Money`` checks.
POSITIVE_MONEY_PATTERN = re.compile(r"^(?!0+(\.0{1,2})?$)[0-9]{1,15}(\.[0-9]{1,2})?$")
#: How the OpenAPI document shows money: a string, never a JSON number.
MONEY_DOC = {
    "type": "string",
    "pattern": MONEY_PATTERN.pattern,
    "example": "1250000.00",
    "description": "A decimal string with at most two places (no sign, exponent or "
    "surrounding spaces); the currency is given beside it.",
}
MAX_PAGE = 200
# Record ids are 32-bit in the database; a larger number names no record and must not reach
# the driver (PostgreSQL and SQLite refuse it with an error instead of finding nothing).
MAX_ID = 2**31 - 1


class Money(fields.Field):
    """A non-negative amount as a decimal string with at most two places ("1250000.00").

    Numbers in JSON are refused: a float cannot carry money exactly.
    """

    default_error_messages = {
        "invalid": 'Money is a decimal string such as "1250000.00" (at most 2 decimals).',
        "positive": "The amount must be greater than zero.",
    }

    def __init__(self, *, positive: bool = False, **kwargs) -> None:
        doc = dict(MONEY_DOC)
        if positive:
            doc["description"] += " Greater than zero."
            doc["pattern"] = POSITIVE_MONEY_PATTERN.pattern
        kwargs["metadata"] = {**doc, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)
        self.positive = positive

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        # fullmatch: "$" would also match before a final newline. Spaces around the amount are
        # refused, not stripped: the document's pattern refuses them too.
        if not isinstance(value, str) or not MONEY_PATTERN.fullmatch(value):
            raise self.make_error("invalid")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise self.make_error("invalid") from None
        if self.positive and amount <= 0:
            raise self.make_error("positive")
        return amount.quantize(Decimal("0.01"))

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value:.2f}"


def MoneyText(**kwargs) -> fields.String:  # noqa: N802 - reads like a field class
    """Money the service writes out itself (``"1250000.00"``), documented like ``Money``."""
    return fields.String(metadata={**MONEY_DOC, **kwargs.pop("metadata", {})}, **kwargs)


class Timestamp(fields.DateTime):
    """A moment, written in UTC with ``Z`` (DESIGN: "times UTC with Z"), to the microsecond
    the record holds: ``2026-12-01T02:05:00Z``, ``2026-12-07T14:38:05.725580Z``. (marshmallow's
    ``DateTime`` writes ``+00:00``, which strict ISO-instant parsers refuse.) Read as any ISO
    8601 date-time."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs) -> Any:
        return None if value is None else utc_text(value)


class StrictBool(fields.Boolean):
    """Only JSON true/false: "yes", 1 and "true" are type errors, not booleans."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def Id(**kwargs) -> fields.Integer:  # noqa: N802 - reads like a field class
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def QueryId(**kwargs) -> fields.Integer:  # noqa: N802
    """A record id in a query string, where every value arrives as text ("?pledgor_id=7")."""
    return fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def Currency(**kwargs) -> fields.String:  # noqa: N802
    return fields.String(
        validate=validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code."), **kwargs
    )


def Text(max_length: int, **kwargs) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class PageQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = fields.String(load_default=None)


class WholePageQuery(Schema):
    """A list that used to come whole: its default page is the most a page holds, so that no
    answer that fitted in one shrinks."""

    limit = fields.Integer(load_default=MAX_PAGE, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = fields.String(load_default=None)


def encode_cursor(last_id: int) -> str:
    return encode_key_cursor("id", (last_id,))


def decode_cursor(cursor: str | None) -> int | None:
    found = decode_key_cursor("id", cursor, 1)
    return None if found is None else found[0]


def encode_key_cursor(kind: str, key: tuple[int, ...]) -> str:
    """An opaque cursor of a list ordered by more than an id: ``kind`` names the list, ``key``
    is its last item's ids (``"pub:17.4"``, base64url)."""
    text = f"{kind}:{'.'.join(str(part) for part in key)}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cursor_scope(*query: str | None) -> int:
    """A number that tells one query of a list from another (31 bits of a SHA-256 of its
    terms): a cursor that carries it is refused by any other query (``decode_key_cursor``)."""
    text = "\x00".join("" if term is None else term for term in query)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") >> 1


def decode_key_cursor(
    kind: str, cursor: str | None, size: int, *, scope: int | None = None
) -> tuple[int, ...] | None:
    """The ``size`` ids a cursor of ``encode_key_cursor(kind, ...)`` holds (None: no cursor);
    anything else is a 422 on ``cursor``. With a ``scope`` the cursor must end with it (it was
    made by ``key_page`` with that scope): a cursor of another query is refused, not read as
    a place in this one."""
    if not cursor:
        return None
    if scope is not None:
        *ids, given = decode_key_cursor(kind, cursor, size + 1) or ()
        if given != scope:
            raise ValidationFailed({"cursor": ["Not a cursor of this query."]})
        return tuple(ids)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, _, value = text.partition(":")
        parts = value.split(".")
        digits = all(part.isascii() and part.isdigit() for part in parts)
        if found != kind or len(parts) != size or not digits:
            raise ValueError
        key = tuple(int(part) for part in parts)
        if not all(0 <= part <= MAX_ID for part in key):
            raise ValueError
        return key
    except ValueError:
        raise ValidationFailed({"cursor": ["Not a cursor this API returned."]}) from None


def page(items: list, limit: int, id_of: Callable[[Any], int] = attrgetter("id")) -> dict:
    """Cut a list fetched with ``limit + 1`` rows into a page and its next cursor (the last
    item's id: ``id_of`` reads it, an attribute by default)."""
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": encode_cursor(id_of(items[-1])) if more else None}


def key_page(
    rows: list[dict], limit: int, kind: str, key: tuple[str, ...], *, scope: int | None = None
) -> dict:
    """Cut rows fetched with ``limit + 1`` into a page and its next cursor (of ``kind``,
    holding the last item's ``key`` fields, which are dropped from every item, and the query's
    ``scope`` if given)."""
    more = len(rows) > limit
    items = rows[:limit]
    last = tuple(items[-1][name] for name in key) if more else ()
    scoped = last if scope is None else (*last, scope)
    cursor = encode_key_cursor(kind, scoped) if more else None
    for item in items:
        for name in key:
            del item[name]
    return {"items": items, "next_cursor": cursor}
