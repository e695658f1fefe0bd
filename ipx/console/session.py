"""Console sessions: the signed cookie, who is logged in, the idle timeout, ``login_required``.

The session cookie (signed with the instance's session key) carries the user's id, the epoch
of the user's sessions it was issued in, and when it was last used. A request finds its user
again from the database each time, so disabling a user or logging out (which raises the
epoch) ends every copy of the cookie at once; a cookie unused for ``CONSOLE_IDLE_MINUTES``
is no longer logged in.
"""

from __future__ import annotations

import functools
import time
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _

from ipx.auth import Role, authorize
from ipx.console.accounts import ConsolePrincipal, ConsoleUser, principal_of
from ipx.db import reading
from ipx.db_ext import database
from ipx.instance_keys import load_or_create_secret

#: Session keys that belong to a login (the language choice survives logging in and out).
LOGIN_KEYS = ("uid", "epoch", "seen")
#: Seconds between two refreshes of ``seen``: the idle timeout counts in minutes.
SEEN_RESOLUTION = 60


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or bool(app.config.get("SESSION_COOKIE_SECURE"))


def init_app(app: Flask) -> None:
    app.secret_key = load_or_create_secret(app.config["SESSION_KEY_FILE"])
    app.session_interface = ConsoleSessionInterface()
    app.config["SESSION_COOKIE_NAME"] = "ipx_console"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # The JSON API never reads the session: keep the cookie off its paths.
    app.config["SESSION_COOKIE_PATH"] = "/console"


def load_login() -> None:
    """``before_request``: find the logged-in user, ending a session idle for too long.

    ``seen`` is refreshed at most once a minute, and never by a stylesheet: a cookie
    rewritten by every request lets a late response of the page before (sent with the old
    cookie) undo what the page after stored, such as a change of language."""
    g.console_user = None
    if request.endpoint == "console.static":
        return
    uid = session.get("uid")
    if uid is None:
        return
    idle_limit = 60 * int(current_app.config["CONSOLE_IDLE_MINUTES"])
    if time.time() - float(session.get("seen", 0)) > idle_limit:
        forget_login()
        flash(_("Your session ended after a time without activity."), "info")
        return
    with reading(database().sessions) as db:
        user = db.get(ConsoleUser, uid)
    if user is None or user.disabled_at is not None or user.session_epoch != session.get("epoch"):
        forget_login()
        return
    g.console_user = user
    now = int(time.time())
    if now - int(session.get("seen", 0)) >= SEEN_RESOLUTION:
        session["seen"] = now


def console_principal() -> ConsolePrincipal | None:
    """The logged-in user as a ``Principal`` (None for an anonymous visitor)."""
    user = g.get("console_user")
    return principal_of(user) if user is not None else None


def log_in(user: ConsoleUser) -> None:
    """Start a fresh session for the user (a new CSRF token too); the language is kept."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    session.update(uid=user.id, epoch=user.session_epoch, seen=int(time.time()))


def log_out() -> None:
    """End this user's sessions everywhere: raise its epoch, then forget the login here."""
    uid = session.get("uid")
    if uid is not None:
        with database().sessions() as db:
            user = db.get(ConsoleUser, uid)
            if user is not None:
                user.session_epoch += 1
                db.commit()
    forget_login()


def forget_login() -> None:
    for key in (*LOGIN_KEYS, "csrf_token"):
        session.pop(key, None)


def login_required(*roles: Role):
    """View decorator: anonymous visitors go to the login page (and come back after);
    a role not among ``roles`` gets 403, as an API key of that role would (admins pass)."""
    allowed = frozenset(roles)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = console_principal()
            if principal is None:
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            if allowed:
                authorize(principal, allowed)
            return view(*args, **kwargs)

        # Read by the URL-map guard test, as ``ipx.auth.require``'s (empty: any logged-in user);
        # mypy does not model attributes set on a function.
        wrapper.required_roles = allowed  # type: ignore[attr-defined]
        return wrapper

    return decorator


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a console path of this site, never another site."""
    default = url_for("console.dashboard")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/"):
        return default
    if target.startswith("//") or "\\" in target:
        return default
    return target
