"""The ``ipx`` command: init, keys, seed, serve, train, evaluate, verify, checkpoint."""

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


@contextlib.contextmanager
def _store():
    """The configuration and a session factory, without the web app: for the commands that
    only read or write records (``init``, ``keys``), so they start in a fraction of the time
    ``create_app`` takes (no API document, console or blueprints to build)."""
    from ipx.config import instance_config
    from ipx.db import create_db_engine, make_session_factory

    config = instance_config()
    engine = create_db_engine(
        config["DATABASE_URL"], lock_timeout_ms=config.get("DB_LOCK_TIMEOUT_MS")
    )
    try:
        yield config, engine, make_session_factory(engine)
    finally:
        engine.dispose()


@click.group()
def main() -> None:
    """IPX: IP pledge registry, tamper-evident ledger and patent valuation."""


@main.command()
def init() -> None:
    """Create or upgrade the database (Alembic migrations) and the instance keys."""
    from ipx.instance_keys import load_or_create_secret, load_or_create_signing_key
    from ipx.migrate import upgrade

    with _store() as (config, engine, _):
        upgrade(engine)
        load_or_create_signing_key(config["SIGNING_KEY_FILE"])
        load_or_create_secret(config["DIGEST_KEY_FILE"])
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
def keys_create(role: str, party_id: int | None, name: str) -> None:
    """Create an API key; the key is printed once, as the last line."""
    from ipx.auth import create_key
    from ipx.registry.orm import Party
    from ipx.uow import utcnow

    with _store() as (_, _engine, sessions), sessions() as session:
        if party_id is not None and session.get(Party, party_id) is None:
            raise click.UsageError(f"no party with id {party_id}")
        try:
            key = create_key(session, role=role, party_id=party_id, name=name, now=utcnow())
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        session.commit()
    click.echo(
        f"created a {role} key{f' for party {party_id}' if party_id else ''}; "
        "store it now, it is not kept in clear:"
    )
    click.echo(key)


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
    from ipx.ops.server import run

    settings = server_settings()
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
    from ipx.ops.ledger_cli import checkpoint, verify

    for command in (verify, checkpoint, users):
        main.add_command(command)
    for name, target, help_line in DEFERRED_COMMANDS:
        main.add_command(_Deferred(name, target, help_line))


_register_package_commands()

if __name__ == "__main__":
    sys.exit(main())
