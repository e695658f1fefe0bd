"""Request ids, one JSON log line per request, and the request's latency metric.

Every answer (API, console, errors, static files) carries ``X-Request-ID``: the client's own
when it is well formed (1-128 characters of letters, digits and ``.-_:``), else a new one.
Every log record written while a request runs carries that id too, so a client quoting it
finds the request's lines.

The line per request (logger ``ipx.request``, level INFO) holds the request id, the method, the
route rule (``/api/v1/pledges/<int:pledge_id>``, never the path or query that was sent: those
may hold a name or an identity number), the status, the duration in milliseconds and who
called: the API key's id or the console user's id, never a key, a token, a password or anything
a person typed. ``create_app`` only emits the records; where they go is the process's choice:
``ipx serve`` and ``wsgi.py`` write JSON lines on stderr (``ipx.web.jsonlog``), tests read them
with ``caplog``.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request, request_finished, request_started

from ipx.web.metrics import observe_request

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
request_log = logging.getLogger("ipx.request")


def init_app(app: Flask) -> None:
    """Request ids, the line per request (``REQUEST_LOG``) and the latency histogram."""
    app.config.setdefault("REQUEST_LOG", True)
    if request_log.level == logging.NOTSET:
        request_log.setLevel(logging.INFO)  # emitted whatever the root logger's level
    request_started.connect(_request_started, app)
    request_finished.connect(_request_finished, app)


def request_id() -> str:
    """This request's id (the client's ``X-Request-ID`` if well formed, else a new one)."""
    if "request_id" not in g:
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = sent if _WELL_FORMED_ID.fullmatch(sent) else uuid.uuid4().hex
    return g.request_id


def _request_started(app: Flask, **_: Any) -> None:
    g.request_started = time.perf_counter()
    request_id()


def _request_finished(app: Flask, response: Response, **_: Any) -> None:
    response.headers[REQUEST_ID_HEADER] = request_id()
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else None
    observe_request(route, request.method, response.status_code, seconds)
    if app.config["REQUEST_LOG"]:
        request_log.info(
            "%s %s %s",
            request.method,
            route or "-",
            response.status_code,
            extra={
                "request_id": request_id(),
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 3),
                **_caller(),
            },
        )


def _caller() -> dict[str, str]:
    """Who made the request, by id only: the API key's id, or the console user's."""
    principal = g.get("principal")  # set once the request's key was checked (ipx.auth)
    if principal is not None:
        return {"key_id": principal.key_id}
    user = g.get("console_user")  # set by the console's login check
    if user is not None:
        return {"user_id": str(user.id)}
    return {}
