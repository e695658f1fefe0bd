"""``ipx verify`` (audit the log and the registry against it) and ``ipx checkpoint``.

What they run is imported when they run, not when ``ipx`` starts: every command loads this
module, and SQLAlchemy's ORM with the registry's tables would slow ``ipx --help`` for nothing.
"""

from __future__ import annotations

import base64
import sys
import time

import click

import ipx

MAX_PROBLEMS_SHOWN = 20


@click.command()
@click.option("--public-key", default=None, help="Base64 Ed25519 key (default: the instance's).")
def verify(public_key: str | None) -> None:
    """Audit the ledger and every registry record against it; exit 1 on any mismatch."""
    from ipx.ops import audit  # the ORM and the registry: see the module docstring

    app = ipx.create_app()
    raw_key: bytes | None
    if public_key:
        raw_key = base64.b64decode(public_key, validate=True)
    else:
        raw_key = audit.instance_public_key(app.config)
        if raw_key is None:
            key_file = app.config["SIGNING_KEY_FILE"]
            raise click.UsageError(f"no signing key at {key_file}; pass --public-key")
    started = time.perf_counter()
    report = audit.audit_instance(app, raw_key)
    for line in report.checked:
        click.echo(f"checked {line}")
    click.echo(f"took {time.perf_counter() - started:.2f} s")
    if not report.ok:
        _fail(report)
    click.echo("OK: the log, its checkpoints and the registry agree")


def _fail(report) -> None:
    for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"problem: {problem.message}")
    first = report.first_problem()
    where = f"entry {first.entry}" if first.entry is not None else "outside the entries"
    click.echo(f"FAILED: {len(report.problems)} problem(s); first bad {where}: {first.message}")
    sys.exit(1)


@click.command()
def checkpoint() -> None:
    """Sign a checkpoint of the log as it is now and print its signed note."""
    from ipx.db_ext import database  # Flask and SQLAlchemy: see the module docstring
    from ipx.ledger.signing import current_checkpoint

    app = ipx.create_app()
    signed = current_checkpoint(database(app).engine, force=True, app=app)
    click.echo(signed.note, nl=False)
