"""``ipx worker`` and ``ipx watch``."""

from __future__ import annotations

import json
import signal
import threading

import click


@click.command()
@click.option("--once", is_flag=True, help="One round (fan out, deliver what is due), then exit.")
def worker(once: bool) -> None:
    """Deliver webhook notifications from the outbox (and run the fee watch on schedule)."""
    from ipx import create_app
    from ipx.db_ext import database
    from ipx.notify.worker import Worker

    app = create_app()
    try:
        runner = Worker(app)
        if once:
            click.echo(f"attempts made: {runner.run_once()}")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        runner.run_forever(stop)
    finally:
        database(app).engine.dispose()


@click.command()
def watch() -> None:
    """Announce pledged patents' overdue fees; lapse those past the six-month grace period."""
    from ipx import create_app
    from ipx.db_ext import database
    from ipx.notify.worker import Worker

    app = create_app()
    try:
        click.echo(json.dumps(Worker(app).watch()))
    finally:
        database(app).engine.dispose()
