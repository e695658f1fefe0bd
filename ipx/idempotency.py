"""``Idempotency-Key`` on POSTs that create something.

Same key + same body returns the first answer (status and body); same key + another body is
422 ``idempotency-mismatch``. The key is reserved in its own short transaction before the work
runs, so two concurrent retries cannot both create: the second sees the reservation and gets
409 ``idempotency-in-progress``. A request that fails releases the key, leaving nothing behind.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timedelta

from flask import Response, current_app, request
from sqlalchemy import Integer, String, Text, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ipx.auth import current_principal
from ipx.db import Base, UTCDateTime
from ipx.db_ext import database
from ipx.errors import Conflict, IdempotencyMismatch, ValidationFailed
from ipx.uow import utcnow

MAX_KEY_LENGTH = 200
ABANDONED_AFTER = timedelta(minutes=2)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def idempotent(view):
    """Route decorator honouring ``Idempotency-Key`` (optional; without it the call just runs)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        principal = current_principal()
        if not key or principal is None:
            return view(*args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            raise ValidationFailed({"Idempotency-Key": [f"At most {MAX_KEY_LENGTH} characters."]})
        who, fingerprint = principal.actor, _request_hash()
        replay = _reserve(who, key, fingerprint)
        if replay is not None:
            return replay
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except Exception:
            _release(who, key)
            raise
        if response.status_code < 400:
            _store(who, key, response)
        else:
            _release(who, key)
        return response

    return wrapper


def _reserve(who: str, key: str, fingerprint: str) -> Response | None:
    sessions = database().sessions
    with sessions() as session:
        session.add(
            IdempotencyRecord(principal=who, key=key, request_hash=fingerprint, created_at=utcnow())
        )
        try:
            session.commit()
            return None
        except IntegrityError:
            session.rollback()
        record = session.get(IdempotencyRecord, (who, key))
    if record is None:  # released between our insert and read: the caller may retry
        raise Conflict(
            "The request with this Idempotency-Key is in progress.", code="idempotency-in-progress"
        )
    if record.request_hash != fingerprint:
        raise IdempotencyMismatch(
            "This Idempotency-Key was used with a different request body or path."
        )
    if record.status is None:
        if utcnow() - record.created_at > ABANDONED_AFTER:
            # The process that reserved the key died before answering. Almost always its
            # transaction died with it and nothing was created; the exception is a crash in the
            # instant between its commit and storing the answer, which this retry cannot see.
            _release(who, key)
            return _reserve(who, key, fingerprint)
        raise Conflict(
            "The request with this Idempotency-Key is in progress.", code="idempotency-in-progress"
        )
    return Response(
        record.body,
        status=record.status,
        mimetype="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


def _store(who: str, key: str, response: Response) -> None:
    with database().sessions() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.principal == who, IdempotencyRecord.key == key)
            .values(status=response.status_code, body=response.get_data(as_text=True))
        )
        session.commit()


def _release(who: str, key: str) -> None:
    with database().sessions() as session:
        session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.principal == who, IdempotencyRecord.key == key
            )
        )
        session.commit()
