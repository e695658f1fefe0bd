"""``ipx tiles export DIR`` (the log as static C2SP tlog-tiles) and ``ipx witness serve`` (a
C2SP tlog-witness); what they run is imported when they run (see ``ipx.ops.ledger_cli``)."""

from __future__ import annotations

import contextlib
import os
import socket
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


def _witness_name(name: str | None, key_file: Path) -> str:
    """``--name``, else ``IPX_WITNESS_NAME``, else the name saved beside the key file
    (``<key file>.name``), else ``<this host's name>/witness``, saved there: the name is part
    of the witness's verifier key, so it must not change when the host is renamed."""
    from ipx.atomic_files import write_new_file

    if name or os.environ.get("IPX_WITNESS_NAME"):
        return name or os.environ["IPX_WITNESS_NAME"]
    saved = key_file.with_name(key_file.name + ".name")
    if not saved.exists():
        chosen = f"{socket.getfqdn() or 'localhost'}/witness"
        with contextlib.suppress(FileExistsError):
            write_new_file(saved, chosen.encode() + b"\n", mode=0o644)
    return saved.read_text(encoding="utf-8").strip()


def _instance_file(name: str) -> Path:
    from ipx.config import instance_path

    return instance_path() / name


def _own_log() -> tuple[str, ...]:
    """This instance's own log: the verifier keys of its signing key and of the keys it
    retired (``IPX_SIGNING_KEY_FILE``, ``IPX_LOG_ORIGIN``), so that cosigning goes on across a
    ``ipx signing rotate``."""
    from ipx.config import instance_path, load_config
    from ipx.instance_keys import load_signing_key, read_retired_keys
    from ipx.ledger.note import verifier_key

    config = load_config(instance_path())
    key_file = config["SIGNING_KEY_FILE"]
    try:
        public = load_signing_key(key_file).public_key().public_bytes_raw()
    except (OSError, ValueError) as exc:
        raise click.UsageError(
            f"no --log given, and this instance's signing key ({key_file}) is unreadable: {exc}"
        ) from None
    return (verifier_key(config["LEDGER_KEY_NAME"], public), *read_retired_keys(key_file))


@witness.command("serve")
@click.option(
    "--name",
    help="the witness's name (its key name), e.g. bank.example/witness; default "
    "IPX_WITNESS_NAME, else the name saved beside the key file, else <host name>/witness "
    "(then saved there)",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="its Ed25519 key (base64 seed; created, mode 0600, if missing); default "
    "instance/witness.key",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="where it keeps, per log, the last checkpoint it cosigned; default "
    "instance/witness-state.json",
)
@click.option(
    "--log",
    "logs",
    multiple=True,
    help=(
        "a log it witnesses: the log's verifier key (origin = key name; only signatures under"
        " that name count), or ORIGIN=KEY (KEY a verifier key, or base64 of the raw key); "
        "default this instance's own log (its signing key and the keys it retired, read at "
        "start: restart the witness after `ipx signing rotate`)"
    ),
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8300, show_default=True, type=int, help="0: any free port")
def witness_serve(
    name: str | None,
    key_file: Path | None,
    state_file: Path | None,
    logs: tuple[str, ...],
    host: str,
    port: int,
) -> None:
    """Serve POST /add-checkpoint; prints its verifier key and address once listening."""
    from ipx.ledger import witness as w

    key_file = key_file or _instance_file("witness.key")
    name = _witness_name(name, key_file)
    state_file = state_file or _instance_file("witness-state.json")
    try:
        known = w.log_keys(logs or _own_log())
    except ValueError as exc:
        raise click.UsageError(f"--log: {exc}") from None
    service = w.WitnessService(name, w.load_or_create_key(key_file), known, w.StateFile(state_file))

    def ready(bound: int) -> None:
        click.echo(f"witness {service.verifier_key} listening on http://{host}:{bound}")
        sys.stdout.flush()

    with contextlib.suppress(KeyboardInterrupt):
        w.serve(service, host, port, ready)


@witness.command("key")
@click.option("--name", help="as `witness serve`'s (the same default)")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="as `witness serve`'s (the same default)",
)
def witness_key(name: str | None, key_file: Path | None) -> None:
    """Print the witness's verifier key (creating its key file if missing)."""
    from ipx.ledger import cosignature
    from ipx.ledger import witness as w

    key_file = key_file or _instance_file("witness.key")
    name = _witness_name(name, key_file)
    public = w.load_or_create_key(key_file).public_key().public_bytes_raw()
    click.echo(cosignature.Witness(name, public).verifier_key)
