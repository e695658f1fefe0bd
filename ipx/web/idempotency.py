"""``Idempotency-Key`` on POSTs that create something.

Same key + same body returns the first answer (status and body); same key + another body is
422 ``idempotency-mismatch``. The key, the work and the answer share one transaction: the
request's unit of work starts by inserting the key, and the answer is stored just before the
commit. So a crash at any point leaves either everything (the work and its answer) or nothing,
and a retry never meets a key whose answer was lost. A concurrent retry with the same key
waits at that first insert (PostgreSQL's unique index; SQLite's single writer) until the first
request ends, then replays its answer, or does the work itself if the first one failed; if
the first runs longer than the lock timeout (``IPX_DB_LOCK_TIMEOUT_MS``), the retry gets 409
``idempotency-in-progress`` instead of waiting on. A request that fails stores nothing.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from datetime import datetime

from flask import Response, current_app, g, request
from sqlalchemy import Integer, String, Text, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from ipx.auth import current_principal
from ipx.db import Base, UTCDateTime, begin_write
from ipx.errors import Conflict, IdempotencyMismatch, ValidationFailed, is_lock_timeout
from ipx.uow import UnitOfWork, utcnow
from ipx.web.metrics import IDEMPOTENT_REPLAYS, LOCK_TIMEOUTS

MAX_KEY_LENGTH = 200
IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": (
        "Repeat the request with the same key to get the first answer again (status and body, "
        "with Idempotent-Replayed: true) instead of acting twice; another body with the same "
        "key is 422 idempotency-mismatch."
    ),
}


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


_TABLE = IdempotencyRecord.__table__


class _Replay(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The key was used before: answer with what the first request answered."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


class Claim:
    """One request's hold on its Idempotency-Key; owns the request's write transaction."""

    def __init__(self, who: str, key: str, fingerprint: str) -> None:
        self.who, self.key, self.fingerprint = who, key, fingerprint
        self.session: Session | None = None
        self.uow: UnitOfWork | None = None

    def begin(self, sessions: sessionmaker[Session]) -> Session:
        """Open the transaction with the key's row; replay if the key is already taken."""
        if self.session is not None:
            raise RuntimeError("an idempotent route opens one writing unit of work")
        session = sessions()
        try:
            begin_write(session)
            session.execute(
                insert(_TABLE).values(
                    principal=self.who,
                    key=self.key,
                    request_hash=self.fingerprint,
                    created_at=utcnow(),
                )
            )
        except IntegrityError:
            session.close()
            raise _Replay(self._first_answer(sessions)) from None
        except OperationalError as exc:
            session.close()
            if is_lock_timeout(exc):
                # The first request has run longer than the lock timeout: do not hold this
                # worker and connection any longer; the client retries later.
                LOCK_TIMEOUTS.labels(lock="idempotency-key").inc()
                raise Conflict(
                    "A request with this Idempotency-Key is still running; retry later.",
                    code="idempotency-in-progress",
                ) from None
            raise
        except BaseException:
            session.close()
            raise
        self.session = session
        return session

    def ready(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def finish(self, response: Response) -> None:
        """Store a successful answer with the work, append the events, commit."""
        if self.session is None:
            return
        if self.uow is None or response.status_code >= 400:
            return  # the work did not complete: close() rolls it back, key included
        self.session.execute(
            update(_TABLE)
            .where(_TABLE.c.principal == self.who, _TABLE.c.key == self.key)
            .values(status=response.status_code, body=response.get_data(as_text=True))
        )
        self.uow.append_events()
        self.session.commit()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    def _first_answer(self, sessions: sessionmaker[Session]) -> Response:
        with sessions() as session:
            record = session.execute(
                select(_TABLE.c.request_hash, _TABLE.c.status, _TABLE.c.body).where(
                    _TABLE.c.principal == self.who, _TABLE.c.key == self.key
                )
            ).first()
        if record is None or record.status is None:
            # Rows are committed with their answer (and migration 0007 removed older ones), so
            # only an operator deleting the row between our insert and this read gets here.
            raise Conflict(
                "The request with this Idempotency-Key did not finish; send it again.",
                code="idempotency-in-progress",
            )
        if record.request_hash != self.fingerprint:
            raise IdempotencyMismatch(
                "This Idempotency-Key was used with a different request body or path."
            )
        return Response(
            record.body,
            status=record.status,
            mimetype="application/json",
            headers={"Idempotent-Replayed": "true"},
        )


def current_claim() -> Claim | None:
    """The Idempotency-Key claim of this request, if its route honours one."""
    return g.get("idempotency_claim")


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
        claim = g.idempotency_claim = Claim(principal.actor, key, _request_hash())
        try:
            response = current_app.make_response(view(*args, **kwargs))
            claim.finish(response)
            return response
        except _Replay as replay:
            IDEMPOTENT_REPLAYS.inc()
            return replay.response
        finally:
            claim.close()
            g.pop("idempotency_claim", None)

    # Document the header in the route's OpenAPI operation (flask-smorest's manual doc). Its
    # "parameters" list replaces the one built from the route's arguments rather than joining
    # it, so an idempotent route must take its arguments in the body (as creating POSTs do).
    apidoc = copy.deepcopy(getattr(wrapper, "_apidoc", {}))
    wrapper._apidoc = apidoc  # type: ignore[attr-defined]  # flask-smorest's function attribute
    documented = apidoc.get("arguments", {}).get("parameters", [])
    if any(p.get("in") not in ("json", "body", "form", "files") for p in documented):
        raise TypeError(f"{view.__qualname__}: @idempotent routes take their arguments in the body")
    manual = apidoc.setdefault("manual_doc", {})
    manual["parameters"] = [*manual.get("parameters", []), IDEMPOTENCY_KEY_PARAMETER]
    return wrapper
