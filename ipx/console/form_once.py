"""One action per form: a console form posted twice (a double click, back and send again)
acts once.

Every form that writes carries a one-time token (the template's ``form_once()``), signed for
the session it was shown in (the user, its session epoch and the session's CSRF secret, so a
token works neither after a logout or a new login nor in another session). A view wrapped in
``once`` runs its use case inside a claim on that token: the claim is the use case's held
transaction (``UseCases.run(..., held=...)``) and starts by inserting the token's row, so the
token is spent in the same transaction as the work, together with the page the work led to.
A second post of the token finds it spent and is sent to that page with a notice that nothing
was done again; a concurrent one waits at the insert until the first ends (PostgreSQL's unique
index, SQLite's single writer). A post whose work failed or was refused spends nothing: the
form, corrected, can be sent again.

The rows live in the table of the API's ``Idempotency-Key`` claims (migration 0001), keyed by
the console user's actor (``user:<id>``, never an API key's ``key:<id>``) and a ``console-form:``
prefix, and hold the redirect's target instead of a JSON answer.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from urllib.parse import urlencode

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import Markup
from sqlalchemy import Integer, String, Text, column, insert, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ipx.console.session import console_principal
from ipx.db import UTCDateTime, begin_write
from ipx.uow import UnitOfWork, utcnow

FIELD = "form_once"
KEY_PREFIX = "console-form:"
TOKEN = re.compile(r"^(?P<nonce>[A-Za-z0-9_-]{22})\.(?P<signature>[0-9a-f]{32})$")
#: Fields that are no part of what the form asks for.
NOT_CONTENT = ("csrf_token", FIELD)

TOKENS = table(
    "idempotency_keys",
    column("principal", String(40)),
    column("key", String(200)),
    column("request_hash", String(64)),
    column("status", Integer),
    column("body", Text),
    column("created_at", UTCDateTime()),
)


class AlreadySent(Exception):  # noqa: N818 - the outcome of a repeated post, not an error
    """The form's token was spent by an earlier post; ``location`` is where that one led."""

    def __init__(self, location: str | None) -> None:
        super().__init__(location)
        self.location = location


def form_once() -> Markup:
    """A hidden field with a fresh token for one form (a template global)."""
    nonce = secrets.token_urlsafe(16)
    token = f"{nonce}.{_signature(nonce)}"
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, token)


def _signature(nonce: str) -> str:
    # Bound to the login (user and epoch) and to this session's CSRF secret, which a login
    # renews: a token works only in the session that was shown the form.
    generate_csrf()  # makes sure the session has its CSRF secret
    secret_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    bound_to = "|".join(
        (FIELD, str(session.get("uid")), str(session.get("epoch")), session[secret_field], nonce)
    )
    key = current_app.secret_key
    assert isinstance(key, bytes | str) and key  # set by session.init_app
    secret = key.encode() if isinstance(key, str) else key
    return hmac.new(secret, bound_to.encode(), hashlib.sha256).hexdigest()[:32]


def _posted_nonce() -> str:
    """The nonce of the posted form's token; a missing or forged one is refused like a
    form without its CSRF token (nothing is changed)."""
    match = TOKEN.fullmatch(request.form.get(FIELD, ""))
    if match is None or not hmac.compare_digest(match["signature"], _signature(match["nonce"])):
        raise CSRFError("The form's one-time token is missing or not valid.")
    return match["nonce"]


def _fingerprint() -> str:
    content = sorted((k, v) for k, v in request.form.items(multi=True) if k not in NOT_CONTENT)
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(urlencode(content).encode())
    return digest.hexdigest()


class FormClaim:
    """One post's hold on its form token: the held transaction of the view's use case."""

    def __init__(self, who: str, nonce: str, fingerprint: str) -> None:
        self.who, self.key, self.fingerprint = who, KEY_PREFIX + nonce, fingerprint
        self.session: Session | None = None
        self.uow: UnitOfWork | None = None

    def begin(self, sessions: sessionmaker[Session]) -> Session:
        """Open the transaction with the token's row (``AlreadySent`` if it is spent)."""
        if self.session is not None:
            raise RuntimeError("a console form runs one use case")
        db = sessions()
        try:
            begin_write(db)
            db.execute(
                insert(TOKENS).values(
                    principal=self.who,
                    key=self.key,
                    request_hash=self.fingerprint,
                    created_at=utcnow(),
                )
            )
        except IntegrityError:
            db.close()
            raise AlreadySent(self._first_location(sessions)) from None
        except BaseException:
            db.close()
            raise
        self.session = db
        return db

    def ready(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def abandon(self) -> None:
        """The use case failed: roll it back, token included (the form may be sent again)."""
        self.close()
        self.session, self.uow = None, None

    def finish(self, status: int, location: str | None) -> None:
        """Keep where the post led with its work, append the work's events, commit."""
        if self.session is None or self.uow is None or status >= 400:
            return  # nothing ran, or it failed: close() rolls back, token included
        self.session.execute(
            update(TOKENS)
            .where(TOKENS.c.principal == self.who, TOKENS.c.key == self.key)
            .values(status=status, body=location or "")
        )
        self.uow.append_events()
        self.session.commit()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    def _first_location(self, sessions: sessionmaker[Session]) -> str | None:
        with sessions() as db:
            return db.execute(
                select(TOKENS.c.body).where(
                    TOKENS.c.principal == self.who, TOKENS.c.key == self.key
                )
            ).scalar_one_or_none()


def current_claim() -> FormClaim | None:
    """The claim of this post's form token (inside a view wrapped in ``once``)."""
    return g.get("form_claim")


def once(view):
    """View decorator: a POST acts at most once per form token (GET passes through)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.method != "POST":
            return view(*args, **kwargs)
        principal = console_principal()
        assert principal is not None  # inside login_required
        claim = g.form_claim = FormClaim(principal.actor, _posted_nonce(), _fingerprint())
        try:
            response = current_app.make_response(view(*args, **kwargs))
            _finish(claim, response)
            return response
        except AlreadySent as sent:
            flash(_("This form was already sent: it was acted on once, not again."), "info")
            return redirect(sent.location or url_for("console.dashboard"), 303)
        finally:
            claim.close()
            g.pop("form_claim", None)

    return wrapper


def _finish(claim: FormClaim, response) -> None:
    try:
        claim.finish(response.status_code, response.headers.get("Location"))
    except BaseException:
        session.pop("_flashes", None)  # the view's "done" notices: it was not done
        raise
