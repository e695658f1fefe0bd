"""JSON log lines: a ``logging.Formatter`` and the logging setup of a server process.

Kept apart from the request hooks (``ipx.web.observability``) so that gunicorn's master process
can format its own messages without importing the app, the database or prometheus-client.
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context

#: Attributes every LogRecord has; anything else on a record came in through ``extra=``.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the request id when a
    request is running, the fields passed with ``extra=``, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        line.update(
            (key, value) for key, value in record.__dict__.items() if key not in _RECORD_ATTRIBUTES
        )
        if "request_id" not in line and has_request_context() and "request_id" in g:
            line["request_id"] = g.request_id  # any record written while a request runs
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(level: str = "INFO") -> dict:
    """``logging.config.dictConfig`` settings: every logger's records as JSON lines on stderr
    (gunicorn's own messages included, through the root logger)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            # The app's line per request replaces gunicorn's access log, whose request line
            # would carry the query string (a pledgor's name in a public query).
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for this process (a server's; not for tests or commands)."""
    logging.config.dictConfig(logging_config(level))
