"""The ``ipx`` command: init, keys, seed, serve, train, evaluate, verify, checkpoint."""

from __future__ import annotations

import contextlib
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


@click.group()
def main() -> None:
    """IPX: IP pledge registry, tamper-evident ledger and patent valuation."""


@main.command()
def init() -> None:
    """Create or upgrade the database (Alembic migrations) and the instance keys."""
    from ipx.db_ext import database
    from ipx.instance_keys import load_or_create_secret, load_or_create_signing_key
    from ipx.migrate import upgrade

    with _app() as app:
        upgrade(database(app).engine)
        load_or_create_signing_key(app.config["SIGNING_KEY_FILE"])
        load_or_create_secret(app.config["DIGEST_KEY_FILE"])
        click.echo(f"database ready: {database(app).engine.url.render_as_string()}")


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
    from ipx.db_ext import database
    from ipx.registry.orm import Party
    from ipx.uow import utcnow

    with _app() as app, database(app).sessions() as session:
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


def _register_package_commands() -> None:
    from ipx.ledger.cli import checkpoint, verify
    from ipx.valuation.cli import evaluate, train

    for command in (verify, checkpoint, train, evaluate):
        main.add_command(command)


_register_package_commands()

if __name__ == "__main__":
    sys.exit(main())
