"""``ipx users``: console accounts with the role and party rules of API keys, Argon2id hashes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ipx.console.accounts import ConsoleUser, principal_of
from ipx.db_ext import database
from tests.console_helpers import PASSWORD, post_login


@pytest.fixture
def ipx_cli(app, db_url, instance_dir, monkeypatch):
    """The ``ipx`` command, building its app from the environment of the test database."""
    monkeypatch.setenv("IPX_DATABASE_URL", db_url)
    monkeypatch.setenv("IPX_SIGNING_KEY_FILE", str(instance_dir / "signing.key"))
    monkeypatch.setenv("IPX_DIGEST_KEY_FILE", str(instance_dir / "digest.key"))
    import ipx.cli

    def invoke(*args: str, password: str | None = PASSWORD):
        stdin = None if password is None else password + "\n"
        return CliRunner().invoke(ipx.cli.main, list(args), input=stdin)

    return invoke


def _users(app) -> list[ConsoleUser]:
    with database(app).sessions() as session:
        return list(session.execute(select(ConsoleUser).order_by(ConsoleUser.id)).scalars())


def test_create_reads_the_password_from_stdin_and_stores_only_an_argon2id_hash(
    app, ipx_cli, client
):
    result = ipx_cli(
        "users", "create", "--role", "clerk", "--username", "Wang.Li", "--password-stdin"
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    (user,) = _users(app)
    assert user.username == "wang.li" and user.role == "clerk" and user.party_id is None
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert post_login(client, "wang.li").status_code == 302


def test_bank_and_owner_users_are_bound_to_a_party_as_their_keys_are(app, ipx_cli, registry):
    bank = registry.party("农业银行")
    result = ipx_cli(
        "users",
        "create",
        "--role",
        "bank",
        "--party",
        str(bank),
        "--username",
        "abc-bank",
        "--password-stdin",
    )
    assert result.exit_code == 0, result.output
    (user,) = _users(app)
    principal = principal_of(user)
    assert (principal.role, principal.party_id) == ("bank", bank)
    assert principal.actor == f"user:{user.id}" and not principal.sees_all()


@pytest.mark.parametrize(
    "args",
    [
        ["--role", "bank"],
        ["--role", "owner"],
        ["--role", "bank", "--party", "999999"],
        ["--role", "clerk", "--party", "1"],
        ["--role", "auditor", "--party", "1"],
        ["--role", "god"],
    ],
)
def test_create_refuses_what_a_key_would_refuse(app, ipx_cli, registry, args):
    registry.party()  # party 1 may exist: a clerk or auditor is still not bound to it
    result = ipx_cli("users", "create", *args, "--username", "someone", "--password-stdin")
    assert result.exit_code != 0
    assert _users(app) == []


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("ok-name", "short"),
        ("ok-name", ""),
        ("x", PASSWORD),
        ("bad name", PASSWORD),
        ("", PASSWORD),
    ],
)
def test_create_refuses_weak_passwords_and_odd_usernames(app, ipx_cli, username, password):
    result = ipx_cli(
        "users",
        "create",
        "--role",
        "clerk",
        "--username",
        username,
        "--password-stdin",
        password=password,
    )
    assert result.exit_code != 0
    assert _users(app) == []


def test_usernames_are_unique_whatever_their_case(app, ipx_cli):
    first = ipx_cli("users", "create", "--role", "clerk", "--username", "li", "--password-stdin")
    assert first.exit_code == 0, first.output
    again = ipx_cli("users", "create", "--role", "auditor", "--username", "LI", "--password-stdin")
    assert again.exit_code != 0 and "taken" in again.output
    assert len(_users(app)) == 1


def test_the_password_flag_is_required(app, ipx_cli):
    result = ipx_cli("users", "create", "--role", "clerk", "--username", "li", password=None)
    assert result.exit_code != 0 and "--password-stdin" in result.output


def test_list_shows_users_without_their_hashes(app, ipx_cli, registry):
    owner = registry.party()
    ipx_cli("users", "create", "--role", "clerk", "--username", "clerk-a", "--password-stdin")
    ipx_cli(
        "users",
        "create",
        "--role",
        "owner",
        "--party",
        str(owner),
        "--username",
        "owner-a",
        "--password-stdin",
    )
    result = ipx_cli("users", "list")
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.output.strip().splitlines()]
    assert [line[1:] for line in lines] == [
        ["clerk-a", "clerk", "-", "active"],
        ["owner-a", "owner", str(owner), "active"],
    ]
    assert "argon2" not in result.output


def test_disable_refuses_logins_and_ends_open_sessions(app, ipx_cli, client):
    ipx_cli("users", "create", "--role", "clerk", "--username", "clerk-b", "--password-stdin")
    assert post_login(client, "clerk-b").status_code == 302
    assert client.get("/console/").status_code == 200
    result = ipx_cli("users", "disable", "clerk-b")
    assert result.exit_code == 0, result.output
    assert client.get("/console/").status_code == 302  # the open session has ended
    refused = post_login(client, "clerk-b")
    assert refused.status_code == 200 and "用户名或密码不正确" in refused.get_data(as_text=True)
    assert client.get("/console/").status_code == 302
    assert "disabled" in ipx_cli("users", "list").output
    assert ipx_cli("users", "disable", "clerk-b").exit_code != 0
    assert ipx_cli("users", "disable", "nobody").exit_code != 0
