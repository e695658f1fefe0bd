"""The ``ipx`` command: init, keys, signing, seed, serve, backup, restore, train, evaluate,
verify, checkpoint, users."""

from __future__ import annotations

import contextlib
import importlib
import sys

import click

from ipx import create_app


@contextlib.contextmanager
def _app():
    """The app for one command; its database connections are closed when the command ends."""
    from ipx.db_ext import database

    app = create_app()
    try:
        yield app
    finally:
        database(app).engine.dispose()


def _store(*, check_keys: bool = True):
    """The configuration and a session factory, without the web app (``ipx.ops.store``)."""
    from ipx.ops.store import open_store

    return open_store(check_keys=check_keys)


class _Commands(click.Group):
    """``ipx``: a missing instance key stops any command with the operator's message (what is
    missing and how to put it back), not a traceback."""

    def invoke(self, ctx: click.Context):
        from ipx.instance_keys import MissingInstanceKey

        try:
            return super().invoke(ctx)
        except MissingInstanceKey as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Commands)
def main() -> None:
    """IPX: IP pledge registry, tamper-evident ledger and patent valuation."""


@main.command()
def init() -> None:
    """Create or upgrade the database (Alembic migrations) and the instance keys.

    Keys are created only for a database that holds nothing they secure; a key file missing
    beside records stops here (restore it: ``ipx restore``)."""
    from ipx.instance_keys import ensure_digest_key, ensure_signing_key
    from ipx.ledger import keyring
    from ipx.migrate import upgrade
    from ipx.uow import utcnow

    with _store() as (config, engine, sessions):  # a missing key stops it before migrating
        upgrade(engine)
        ensure_digest_key(config["DIGEST_KEY_FILE"], engine)
        signing_key = ensure_signing_key(config["SIGNING_KEY_FILE"], engine)
        with sessions() as session:  # the keyring starts with the key in use
            public_key = signing_key.public_key().public_bytes_raw()
            keyring.register_key(session, config["LEDGER_KEY_NAME"], public_key, utcnow())
            session.commit()
        click.echo(f"database ready: {engine.url.render_as_string()}")


@main.group()
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.option(
    "--role", required=True, type=click.Choice(["clerk", "bank", "owner", "auditor", "admin"])
)
@click.option("--party", "party_id", type=int, default=None, help="Party id (bank, owner).")
@click.option("--name", default="", help="A label for the key.")
@click.option(
    "--expires",
    default=None,
    metavar="DATE|TIME|DURATION",
    help="When the key stops working: 2027-03-31 (through that UTC day), "
    "2027-03-31T18:00:00Z, or 90d / 12h / 30m / 2w from now. Default: never.",
)
def keys_create(role: str, party_id: int | None, name: str, expires: str | None) -> None:
    """Create an API key; the key is printed once, as the last line."""
    from ipx.auth import create_key
    from ipx.ops.keys import parse_expiry
    from ipx.registry.orm import Party
    from ipx.uow import utcnow

    now = utcnow()
    try:
        expires_at = parse_expiry(expires, now) if expires else None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    with _store() as (_, _engine, sessions), sessions() as session:
        if party_id is not None and session.get(Party, party_id) is None:
            raise click.UsageError(f"no party with id {party_id}")
        try:
            key = create_key(
                session, role=role, party_id=party_id, name=name, now=now, expires_at=expires_at
            )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        session.commit()
    until = f", expiring {expires_at:%Y-%m-%dT%H:%M:%SZ}" if expires_at else ""
    article = "an" if role[0] in "aeiou" else "a"
    click.echo(
        f"created {article} {role} key{f' for party {party_id}' if party_id else ''}{until}; "
        "store it now, it is not kept in clear:"
    )
    click.echo(key)


@keys.command("list")
def keys_list() -> None:
    """List API keys, tab-separated: id, role, party, name, created, expires, revoked
    (never the secret nor its hash)."""
    from ipx.auth import list_keys
    from ipx.ops.keys import LIST_COLUMNS, list_row
    from ipx.uow import utcnow

    now = utcnow()
    with _store() as (_, _engine, sessions), sessions() as session:
        rows = [list_row(key, now) for key in list_keys(session)]
    click.echo("\t".join(LIST_COLUMNS))
    for row in rows:
        click.echo("\t".join(row))


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by its id (the part after ``ipx_`` in the key, as ``keys list`` shows it).
    Every server process refuses it within one second."""
    from ipx.auth import revoke_key
    from ipx.uow import utcnow

    with _store() as (_, _engine, sessions), sessions() as session:
        try:
            revoke_key(session, key_id, utcnow())
        except LookupError as exc:
            raise click.UsageError(str(exc)) from None
        session.commit()
    click.echo(f"revoked {key_id}")


@main.group()
def signing() -> None:
    """Manage the key that signs the ledger's checkpoints."""


@signing.command("rotate")
def signing_rotate() -> None:
    """Start a new Ed25519 checkpoint signing key; the old key's checkpoints stay verifiable
    (its public half is kept, and listed by /api/v1/ledger/public-key)."""
    from ipx.ops.signing_keys import rotate
    from ipx.uow import utcnow

    with _store() as (config, engine, _):
        done = rotate(config, engine, utcnow())
    if done.warning:
        click.echo(f"warning: {done.warning}", err=True)
    if done.last_checkpoint is not None:
        click.echo(f"the old key signed a last checkpoint of {done.last_checkpoint} entries")
    click.echo(f"retired: {done.retired}")
    click.echo(f"current: {done.current}")


@main.command()
@click.option(
    "--synthetic",
    type=int,
    default=0,
    help="Also generate N synthetic invention patents (for load tests).",
)
def seed(synthetic: int) -> None:
    """Load data/samples into the database (idempotent)."""
    from ipx.ops.seed import seed_samples, seed_synthetic

    with _app() as app:
        parties, assets = seed_samples(app)
        click.echo(f"samples: {parties} parties and {assets} assets added")
        if synthetic:
            added = seed_synthetic(app, synthetic)
            click.echo(f"synthetic: {added} generated invention patents added (marked synthetic)")


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option(
    "--workers", type=int, default=None, help="gunicorn processes (default: 4 on PostgreSQL, 2)"
)
@click.option("--threads", type=int, default=None, help="per process (default: 1 on PostgreSQL, 4)")
def serve(host: str | None, port: int | None, workers: int | None, threads: int | None) -> None:
    """Run the production server (gunicorn)."""
    from ipx.config import server_settings
    from ipx.notify.worker import serve_worker
    from ipx.ops.server import run

    with _store() as (config, _engine, _sessions):  # a missing instance key stops here
        on_sqlite = config["DATABASE_URL"].startswith("sqlite")
    settings = server_settings()
    # On the SQLite default, one notification worker beside the server (elsewhere: ipx worker).
    with serve_worker(on_sqlite):
        run(
            host or settings["host"],
            port or settings["port"],
            workers or settings["workers"],
            threads=threads or settings["threads"],
            access_log=settings["access_log"],
        )


class _Deferred(click.Command):
    """A command imported only when it runs or shows its own help.

    `ipx --help` lists it with the help given here, so listing the commands (or running any
    other one) does not import what it needs: for training, LightGBM, scikit-learn, NumPy.
    """

    def __init__(self, name: str, target: str, help_line: str) -> None:
        super().__init__(name, help=help_line)
        self.target = target

    def load(self) -> click.Command:
        """The real command (`module:attribute` of `target`)."""
        module, attribute = self.target.split(":")
        return getattr(importlib.import_module(module), attribute)

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # The real command parses the arguments, so its context (and its invoke) run it.
        return self.load().make_context(info_name, args, parent, **extra)


#: Commands that train or value: (name, module:command, the first line of its help).
DEFERRED_COMMANDS = (
    (
        "train",
        "ipx.valuation.training.cli:train",
        "Validate, then fit the shipped model on all rows and write models/<version>/.",
    ),
    (
        "evaluate",
        "ipx.valuation.training.cli:evaluate",
        "Reprint the stored validation report, or score the shipped model on --data.",
    ),
)


def _register_package_commands() -> None:
    from ipx.console.cli import users
    from ipx.notify.cli import watch, worker
    from ipx.ops.backup_cli import backup, restore
    from ipx.ops.ledger_cli import checkpoint, verify
    from ipx.ops.model_risk_cli import backtest, monitor
    from ipx.ops.outcomes import outcomes
    from ipx.ops.tlog_cli import tiles, witness

    packaged = (verify, checkpoint, users, backup, restore, outcomes, worker, watch)
    for command in (*packaged, tiles, witness, backtest, monitor):
        main.add_command(command)
    for name, target, help_line in DEFERRED_COMMANDS:
        main.add_command(_Deferred(name, target, help_line))


_register_package_commands()

if __name__ == "__main__":
    sys.exit(main())
