"""``ipx verify`` (audit the log and the registry against it) and ``ipx checkpoint``."""

from __future__ import annotations

import base64
import sys
import time
from pathlib import Path

import click
from sqlalchemy.orm import Session

MAX_PROBLEMS_SHOWN = 20


def _public_key(app, given: str | None) -> bytes:
    if given:
        return base64.b64decode(given, validate=True)
    from ipx.instance_keys import load_or_create_signing_key

    path = Path(app.config["SIGNING_KEY_FILE"])
    if not path.exists():  # never create a key here: it would verify nothing
        raise click.UsageError(f"no signing key at {path}; pass --public-key")
    return load_or_create_signing_key(path).public_key().public_bytes_raw()


def _snapshot(engine) -> Session:
    """A session reading one consistent snapshot while writers carry on."""
    session = Session(engine)
    if engine.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session


@click.command()
@click.option("--public-key", default=None, help="Base64 Ed25519 key (default: the instance's).")
def verify(public_key: str | None) -> None:
    """Audit the ledger and every registry record against it; exit 1 on any mismatch."""
    from ipx import create_app
    from ipx.db_ext import database
    from ipx.ledger.audit import audit_log
    from ipx.registry.state import STATE_OF, current_state_digests
    from ipx.web.http import registry_digest_key

    app = create_app()
    raw_key = _public_key(app, public_key)
    started = time.perf_counter()
    with _snapshot(database(app).engine) as session:
        report = audit_log(
            session,
            raw_key,
            key_name=app.config["LEDGER_KEY_NAME"],
            origin=app.config["LEDGER_ORIGIN"],
            registry_states=current_state_digests(
                session, registry_digest_key(app.config["DIGEST_KEY_FILE"])
            ),
            state_kinds=STATE_OF.keys(),
        )
    for line in report.checked:
        click.echo(f"checked {line}")
    click.echo(f"took {time.perf_counter() - started:.2f} s")
    if report.ok:
        click.echo("OK: the log, its checkpoints and the registry agree")
        return
    for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"problem: {problem.message}")
    first = report.first_problem()
    where = f"entry {first.entry}" if first.entry is not None else "outside the entries"
    click.echo(f"FAILED: {len(report.problems)} problem(s); first bad {where}: {first.message}")
    sys.exit(1)


@click.command()
def checkpoint() -> None:
    """Sign a checkpoint of the log as it is now and print its signed note."""
    from ipx import create_app
    from ipx.db_ext import database
    from ipx.ledger.signing import current_checkpoint

    app = create_app()
    signed = current_checkpoint(database(app).engine, force=True, app=app)
    click.echo(signed.note, nl=False)
