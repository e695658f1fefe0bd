"""WSGI entry point for servers other than ``ipx serve`` (e.g. ``gunicorn wsgi:app``)."""

from ipx.config import log_level
from ipx.ops.startup import server_app
from ipx.web.jsonlog import configure_logging

configure_logging(log_level())  # JSON lines on stderr, one per request among them
# A server: load the valuation model now. A missing instance key stops here, as `ipx serve`.
app = server_app({"PRELOAD_MODEL": True})
