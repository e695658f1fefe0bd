"""Starting the app under any WSGI server (``wsgi.py``) as ``ipx serve`` starts it: an instance
key file the database needs but that is missing stops the start up front, with the operator's
message (which file, and how to put it back), before a worker takes a request; never a new key
over existing data, never a traceback.
"""

from __future__ import annotations

import logging
import sys

from flask import Flask

from ipx.config import instance_config
from ipx.db import create_db_engine
from ipx.instance_keys import MissingInstanceKey, check_instance_keys

log = logging.getLogger(__name__)

#: The exit status on a missing key: gunicorn's "App failed to load" (its arbiter then stops
#: instead of starting the worker again); any other server or supervisor sees a failure too.
APP_LOAD_ERROR = 4


def server_app(config: dict | None = None) -> Flask:
    """The app for a WSGI server, after the checks ``ipx serve`` makes before it starts.

    On a missing instance key: the operator's message on stderr (and in the log), and
    ``SystemExit(APP_LOAD_ERROR)``.
    """
    from ipx import create_app

    try:
        _check_keys({**instance_config(), **(config or {})})
        return create_app(config)
    except MissingInstanceKey as exc:
        log.critical("not starting: %s", exc)
        print(f"ipx: not starting: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(APP_LOAD_ERROR) from None


def _check_keys(config: dict) -> None:
    """What ``ipx serve`` checks first: every key file the database needs is there."""
    engine = create_db_engine(
        config["DATABASE_URL"], lock_timeout_ms=config.get("DB_LOCK_TIMEOUT_MS")
    )
    try:
        check_instance_keys(config, engine)  # reads the key files' presence; creates nothing
    finally:
        engine.dispose()
