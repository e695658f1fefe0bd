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
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    help="Base64 Ed25519 key; repeat for several (default: the instance's current and "
    "retired signing keys).",
)
@click.option(
    "--since-checkpoint",
    "since",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A checkpoint saved earlier (its signed note, or the API's JSON answer): the log must "
    "still extend it.",
)
def verify(public_keys: tuple[str, ...], since: str | None) -> None:
    """Audit the ledger and every registry record against it; exit 1 on any mismatch."""
    from ipx.db_ext import database  # Flask and SQLAlchemy: see the module docstring

    app = ipx.create_app()
    try:
        _verify(app, public_keys, since)
    finally:
        database(app).engine.dispose()


def _verify(app, public_keys: tuple[str, ...], since: str | None) -> None:
    from ipx.ops import audit  # the ORM and the registry: see the module docstring
    from ipx.ops.signing_keys import instance_public_keys

    if public_keys:
        raw_keys = [base64.b64decode(key, validate=True) for key in public_keys]
    else:
        raw_keys = instance_public_keys(app.config)
        if not raw_keys:
            key_file = app.config["SIGNING_KEY_FILE"]
            raise click.UsageError(f"no signing key at {key_file}; pass --public-key")
    started = time.perf_counter()
    report = audit.audit_instance(app, raw_keys)
    for line in report.checked:
        click.echo(f"checked {line}")
    since_ok = since is None or _verify_since(app, since, raw_keys)
    click.echo(f"took {time.perf_counter() - started:.2f} s")
    if not report.ok:
        _fail(report)
    if not since_ok:
        sys.exit(1)
    click.echo("OK: the log, its checkpoints and the registry agree")


def _verify_since(app, path: str, raw_keys: list[bytes]) -> bool:
    """``--since-checkpoint``: print what was compared, or each problem; True when it holds."""
    from ipx.db_ext import database
    from ipx.ops.audit import snapshot
    from ipx.ops.since_checkpoint import check_since, read_saved_checkpoint

    try:
        saved = read_saved_checkpoint(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise click.UsageError(f"--since-checkpoint: {exc}") from None
    with snapshot(database(app).engine) as session:
        report = check_since(
            session,
            saved,
            raw_keys,
            key_name=None,  # any name the trusted keys signed under (see ops.audit)
            origin=app.config["LEDGER_ORIGIN"],
        )
    for line in report.checked:
        click.echo(f"checked {line}")
    for problem in report.problems:
        click.echo(f"FAILED since checkpoint: {problem}")
    return report.ok


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
    try:
        signed = current_checkpoint(database(app).engine, force=True, app=app)
    finally:
        database(app).engine.dispose()
    click.echo(signed.note, nl=False)
