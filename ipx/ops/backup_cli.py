"""``ipx backup DIR`` and ``ipx restore DIR [--force] [--public-key KEY] [--allow-unsigned]``
(``ipx.ops.backup``, ``ipx.ops.restore``).

What they run is imported when they run: every ``ipx`` command loads this module.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup(directory: Path) -> None:
    """Copy the database (a consistent snapshot, while the service runs) and the instance keys
    into DIRECTORY (new or empty), with a manifest.json naming the checkpoint at backup time."""
    from ipx.ops.backup import BackupFailed
    from ipx.ops.backup import backup as make_backup
    from ipx.ops.pg_tools import ToolFailed
    from ipx.ops.store import open_store
    from ipx.uow import utcnow

    with open_store() as (config, engine, _):
        try:
            manifest = make_backup(config, engine, directory, utcnow())
        except (BackupFailed, ToolFailed) as exc:
            raise click.ClickException(str(exc)) from None
    if manifest.get("warning"):
        click.echo(f"warning: {manifest['warning']}", err=True)
    checkpoint = manifest["checkpoint"]
    at = "no checkpoint" if checkpoint is None else f"checkpoint {checkpoint['tree_size']}"
    click.echo(
        f"backed up {manifest['backend']} (schema {manifest['schema_revision']}, "
        f"{manifest['log_size']} log entries, {at}) and {len(manifest['keys'])} key files "
        f"to {directory}"
    )
    signature = manifest["signature"]
    click.echo(
        f"manifest signed by key {signature['key_id']}: public key {signature['public_key']} "
        f"({signature['verifier_key']})"
    )
    click.echo(
        "keep that key apart from the backup: ipx restore checks the manifest against it "
        f"(ipx restore {directory} --public-key {signature['public_key']})"
    )
    click.echo(f"{directory} holds the instance's secrets: keep it as private as instance/")


@click.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace a target database that holds tables, and key files that differ.",
)
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    metavar="KEY",
    help="The log's public key the manifest must be signed by (base64, <name>+<id>+<key>, or "
    "a file as GET /api/v1/ledger/public-key serves it); repeatable. Default: the instance's "
    "own signing key, if it has one.",
)
@click.option(
    "--allow-unsigned",
    is_flag=True,
    help="Accept a version 1 (unsigned) backup, whose manifest no key vouches for.",
)
def restore(
    directory: Path, force: bool, public_keys: tuple[str, ...], allow_unsigned: bool
) -> None:
    """Restore a backup into the configured database, which must be empty (a new PostgreSQL
    database, or a new SQLite file), and its keys into the instance; then run ipx verify.
    The manifest must be signed by the log's key: --public-key (what ipx backup printed), or
    the instance's own signing key."""
    from ipx.ops.backup import BackupFailed
    from ipx.ops.pg_tools import ToolFailed
    from ipx.ops.restore import RestoreRefused
    from ipx.ops.restore import restore as restore_backup
    from ipx.ops.store import open_store

    with open_store(check_keys=False) as (config, engine, _):
        try:
            done = restore_backup(
                config,
                engine,
                directory,
                force=force,
                public_keys=public_keys,
                allow_unsigned=allow_unsigned,
            )
        except (BackupFailed, RestoreRefused, ToolFailed) as exc:
            raise click.ClickException(f"not restored: {exc}") from None
    if done.warning:
        click.echo(f"warning: {done.warning}", err=True)
    keys = ", ".join(done.keys) if done.keys else "none (those in place are identical)"
    at = "no checkpoint" if done.tree_size is None else f"checkpoint {done.tree_size}"
    click.echo(f"restored schema {done.schema_revision}, ending with {at} as in the manifest")
    click.echo(f"key files written: {keys}")
    click.echo("next: ipx init (upgrades the schema if this IPX is newer), then ipx verify")
