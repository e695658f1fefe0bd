"""WSGI entry point for servers other than ``ipx serve`` (e.g. ``gunicorn wsgi:app``)."""

from ipx import create_app
from ipx.config import log_level
from ipx.web.jsonlog import configure_logging

configure_logging(log_level())  # JSON lines on stderr, one per request among them
app = create_app({"PRELOAD_MODEL": True})  # a server: load the valuation model now
