"""``ipx tiles export DIR`` (the log as static C2SP tlog-tiles) and ``ipx witness serve`` (a
C2SP tlog-witness); what they run is imported when they run (see ``ipx.ops.ledger_cli``)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

import ipx


@click.group()
def tiles() -> None:
    """The log as C2SP tlog-tiles static files."""


@tiles.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def tiles_export(directory: Path) -> None:
    """Write DIRECTORY/checkpoint and DIRECTORY/tile/... for the latest signed checkpoint."""
    from ipx.db_ext import database
    from ipx.ledger.signing import current_checkpoint
    from ipx.ops.tiles_export import export_tiles

    app = ipx.create_app()
    engine = database(app).engine
    try:
        checkpoint = current_checkpoint(engine, app=app)
        with database(app).sessions() as session:
            done = export_tiles(session, checkpoint, directory)
    finally:
        engine.dispose()
    click.echo(
        f"exported tree size {done.tree_size} to {directory}: {done.written} files written, "
        f"{done.kept} full tiles already there, {done.removed} stale partial tiles removed"
    )


@click.group()
def witness() -> None:
    """A C2SP tlog-witness that cosigns the checkpoints of the logs it knows."""


@witness.command("serve")
@click.option(
    "--name", required=True, help="the witness's name (its key name), e.g. bank.example/witness"
)
@click.option(
    "--key-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="its Ed25519 key (base64 seed; created, mode 0600, if missing)",
)
@click.option(
    "--state-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="where it keeps, per log, the last checkpoint it cosigned",
)
@click.option(
    "--log",
    "logs",
    multiple=True,
    required=True,
    help=(
        "a log it witnesses: the log's verifier key (origin = key name; only signatures under"
        " that name count), or ORIGIN=KEY (KEY a verifier key, or base64 of the raw key)"
    ),
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8300, show_default=True, type=int, help="0: any free port")
def witness_serve(
    name: str, key_file: Path, state_file: Path, logs: tuple[str, ...], host: str, port: int
) -> None:
    """Serve POST /add-checkpoint; prints its verifier key and address once listening."""
    from ipx.ledger import witness as w

    try:
        known = w.log_keys(logs)
    except ValueError as exc:
        raise click.UsageError(f"--log: {exc}") from None
    service = w.WitnessService(name, w.load_or_create_key(key_file), known, w.StateFile(state_file))

    def ready(bound: int) -> None:
        click.echo(f"witness {service.verifier_key} listening on http://{host}:{bound}")
        sys.stdout.flush()

    with contextlib.suppress(KeyboardInterrupt):
        w.serve(service, host, port, ready)


@witness.command("key")
@click.option("--name", required=True)
@click.option("--key-file", required=True, type=click.Path(dir_okay=False, path_type=Path))
def witness_key(name: str, key_file: Path) -> None:
    """Print the witness's verifier key (creating its key file if missing)."""
    from ipx.ledger import cosignature
    from ipx.ledger import witness as w

    public = w.load_or_create_key(key_file).public_key().public_bytes_raw()
    click.echo(cosignature.Witness(name, public).verifier_key)
