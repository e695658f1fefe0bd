"""What every package's routes share: the request's unit of work and paginated answers."""

from __future__ import annotations

import functools

from flask import current_app
from marshmallow import Schema, fields

from ipx.auth import Principal, current_principal
from ipx.db_ext import database
from ipx.instance_keys import load_or_create_secret
from ipx.uow import UnitOfWork


def principal() -> Principal:
    """The authenticated caller (routes call this after ``require``)."""
    who = current_principal()
    assert who is not None, "require() must guard this route"
    return who


def unit_of_work(*, write: bool = True) -> UnitOfWork:
    who = current_principal()
    return UnitOfWork(
        database().sessions,
        actor=who.actor if who else "public",
        write=write,
        id_digest_key=_id_digest_key(current_app.config["DIGEST_KEY_FILE"]),
    )


@functools.cache
def _id_digest_key(path: str) -> bytes:
    return load_or_create_secret(path)


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
