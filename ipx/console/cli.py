"""``ipx users``: console accounts (create, list, disable)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ROLES = ["clerk", "bank", "owner", "auditor", "admin"]


@click.group()
def users() -> None:
    """Manage console users (they log in at /console/login)."""


@users.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--party", "party_id", type=int, default=None, help="Party id (bank, owner).")
@click.option("--username", required=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from standard input (its first line).",
)
def users_create(role: str, party_id: int | None, username: str, password_stdin: bool) -> None:
    """Create a console user with the role (and party) an API key of the same kind would have."""
    from ipx.console.accounts import create_user
    from ipx.registry.orm import Party
    from ipx.uow import utcnow

    password = sys.stdin.readline().rstrip("\r\n")
    with _sessions() as session:
        if party_id is not None and session.get(Party, party_id) is None:
            raise click.UsageError(f"no party with id {party_id}")
        try:
            user = create_user(
                session,
                username=username,
                password=password,
                role=role,
                party_id=party_id,
                now=utcnow(),
            )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        session.commit()
        party = f" for party {party_id}" if party_id else ""
        click.echo(f"created the {role} user {user.username}{party}")


@users.command("list")
def users_list() -> None:
    """List console users: id, username, role, party, status."""
    from ipx.console.accounts import list_users

    with _sessions() as session:
        for user in list_users(session):
            status = "disabled" if user.disabled_at else "active"
            party = user.party_id if user.party_id is not None else "-"
            click.echo(f"{user.id}\t{user.username}\t{user.role}\t{party}\t{status}")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable a user: it can no longer log in, and its open sessions end."""
    from ipx.console.accounts import disable_user
    from ipx.uow import utcnow

    with _sessions() as session:
        if not disable_user(session, username, utcnow()):
            raise click.UsageError(f"no active user {username!r}")
        session.commit()
    click.echo(f"disabled {username}")


@contextlib.contextmanager
def _sessions() -> Iterator[Session]:
    """A session on the configured database (its connections closed afterwards); builds no
    web app, like ``ipx init`` and ``ipx keys``."""
    from ipx.ops.store import store_session

    with store_session() as session:
        yield session
