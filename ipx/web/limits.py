"""Rate limits (Flask-Limiter) on what anyone can call without a key: the public query and the
console's login.

Counted per client address (the peer's, or the one a trusted proxy reports:
``IPX_TRUSTED_PROXIES``): ``RATE_LIMIT_PUBLIC`` over every ``/api/v1/public/...`` operation and
``/console/public`` together, ``RATE_LIMIT_LOGIN`` over the console's login POSTs. The counts
live in Redis when ``REDIS_URL`` is set (``IPX_REDIS_URL``: one budget across every worker and
instance), else in each process's memory. If Redis cannot be reached the limiter counts in
memory until it is back, rather than refusing the public query.

A client over its budget gets 429 with ``Retry-After`` (seconds): problem+json with code
``rate-limited`` from the API (``ipx.web.errors``), a page in the visitor's language from the
console (its error pages).
"""

from __future__ import annotations

import math
import time
from typing import cast

from flask import Flask, Response, current_app
from flask.typing import RouteCallable
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

PUBLIC_QUERY_PREFIX = "/api/v1/public/"
CONSOLE_PUBLIC = "console.public"
CONSOLE_LOGIN = "console.login"
OFF = {"", "0", "off", "none"}


def init_app(app: Flask) -> Limiter:
    """The limiter and its 429 answers; limits go on the views once every blueprint is
    registered (``apply_limits``)."""
    redis = app.config.get("REDIS_URL")
    app.config["RATELIMIT_STORAGE_URI"] = redis or "memory://"
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "ipx")
    # Counting in memory while Redis is unreachable; with no Redis the counts are in memory
    # already, and a second store (with its own expiry thread) would never be used.
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = bool(redis)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)  # Retry-After on 429s only
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    limiter = Limiter(get_remote_address, app=app)
    app.extensions["ipx.limiter"] = limiter
    app.after_request(add_retry_after)
    return limiter


def apply_limits(app: Flask) -> None:
    """Put the configured limits on the public query's views and the console's login."""
    limiter: Limiter = app.extensions["ipx.limiter"]
    public = app.config.get("RATE_LIMIT_PUBLIC", "")
    if public.strip().lower() not in OFF:
        shared = limiter.shared_limit(public, scope="public-query")
        for endpoint in _public_query_endpoints(app):
            app.view_functions[endpoint] = cast(RouteCallable, shared(app.view_functions[endpoint]))
    login = app.config.get("RATE_LIMIT_LOGIN", "")
    if login.strip().lower() not in OFF and CONSOLE_LOGIN in app.view_functions:
        limit = limiter.limit(login, methods=["POST"], scope="console-login")
        app.view_functions[CONSOLE_LOGIN] = cast(
            RouteCallable, limit(app.view_functions[CONSOLE_LOGIN])
        )


def _public_query_endpoints(app: Flask) -> list[str]:
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PUBLIC_QUERY_PREFIX)
    }
    if CONSOLE_PUBLIC in app.view_functions:
        endpoints.add(CONSOLE_PUBLIC)
    return sorted(endpoints)


def add_retry_after(response: Response) -> Response:
    """``after_request``: a 429 says when to come back (``Retry-After``, seconds until the
    breached limit's window resets, at least 1): the API's problem+json and the console's
    page alike (their bodies come from their own error handlers)."""
    if response.status_code != 429:
        return response
    limiter: Limiter = current_app.extensions["ipx.limiter"]
    current = limiter.current_limit
    seconds = max(1, math.ceil(current.reset_at - time.time())) if current is not None else 1
    response.headers["Retry-After"] = str(seconds)
    return response
