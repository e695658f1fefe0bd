"""``ipx verify`` and ``ipx checkpoint`` against the test database."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import text

import ipx
from ipx.db_ext import database
from ipx.ledger.note import parse_and_verify_note
from ipx.ledger.signing import app_signer
from ipx.ops.ledger_cli import checkpoint, verify


@pytest.fixture
def cli_app(app, monkeypatch):
    monkeypatch.setattr(ipx, "create_app", lambda: app)
    return app


def test_verify_prints_what_it_checked_and_exits_0(cli_app, registry):
    owner, bank = registry.party(), registry.party()
    registry.pledge(owner, bank, [registry.asset([owner])["id"]])
    runner = CliRunner()
    signed = runner.invoke(checkpoint)
    assert signed.exit_code == 0, signed.output
    signer = app_signer(cli_app)
    assert parse_and_verify_note(signed.output, signer.key_name, signer.public_key).tree_size > 0
    result = runner.invoke(verify)
    assert result.exit_code == 0, result.output
    for check in ("entries", "tree", "checkpoints", "registry"):
        assert f"checked {check}:" in result.output
    assert result.output.rstrip().endswith("agree")


def test_verify_exits_1_naming_the_first_bad_entry(cli_app, registry):
    for _ in range(3):
        registry.party()
    app_signer(cli_app)  # the instance's key exists (else verify asks for --public-key)
    engine = database(cli_app).engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("UPDATE ledger_entries SET leaf = leaf || ' ' WHERE seq = 1"))
    result = CliRunner().invoke(verify)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "FAILED" in result.output and "first bad entry 1:" in result.output


def test_verify_with_another_public_key_fails_the_checkpoints(cli_app, registry):
    registry.party()
    CliRunner().invoke(checkpoint)
    other = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    result = CliRunner().invoke(verify, ["--public-key", other])
    assert result.exit_code == 1 and "outside the entries" in result.output
