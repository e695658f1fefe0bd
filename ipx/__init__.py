"""IPX: an IP pledge registry with a tamper-evident ledger and a patent valuation service."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the service (``ipx.app.create_app``, the composition root).

    Importing ``ipx`` stays light: the offline verifier (``python -m ipx.ledger.verify``) and
    the command line import this package without Flask, SQLAlchemy or the ML stack.
    """
    from ipx.app import create_app as build

    return build(config)
