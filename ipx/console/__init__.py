"""The web console: server-rendered pages for clerks, owners, banks and the public.

Pages call the same read services and use-case runner as the JSON API, with the logged-in
user's ``Principal``; the console adds forms, sessions, translations and HTML, never rules or
SQL of its own. This package imports nothing heavy at import time: ``init_app`` wires it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Sessions, CSRF, translations, security headers and the console's blueprints."""
    from flask_wtf.csrf import CSRFProtect

    from ipx.console import i18n, security, session
    from ipx.console.docs import docs_blueprint
    from ipx.console.views import console_blueprint

    session.init_app(app)
    # Only the console's forms are checked (its blueprint calls protect()): the JSON API
    # authenticates with bearer keys, which a browser never sends by itself.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.extensions["ipx.csrf"] = CSRFProtect(app)
    i18n.init_app(app)
    security.init_app(app)
    app.register_blueprint(console_blueprint())
    app.register_blueprint(docs_blueprint())
