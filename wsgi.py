"""WSGI entry point for servers other than ``ipx serve`` (e.g. ``gunicorn wsgi:app``)."""

from ipx import create_app

app = create_app({"PRELOAD_MODEL": True})  # a server: load the valuation model now
