"""``ipx verify --since-checkpoint FILE``: the stored log must still extend a checkpoint a
caller saved earlier. The plain audit cannot see a deleted newest checkpoint or a database
rolled back whole (the log still agrees with itself); the saved checkpoint can."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, select, text, update

import ipx
from ipx.db_ext import database
from ipx.ledger import store
from ipx.ledger.checkpoints import LogSigner
from ipx.ledger.signing import app_signer
from ipx.ledger.tables import LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerNode, LedgerRef
from ipx.ops.ledger_cli import verify
from tests.registry_helpers import Registry


@pytest.fixture
def cli_app(app, monkeypatch):
    monkeypatch.setattr(ipx, "create_app", lambda: app)
    return app


def _sign(client, clerk) -> dict:
    """A clerk asks for a checkpoint of the log now: the API's answer, as a caller keeps it."""
    response = client.post("/api/v1/ledger/checkpoints", headers=clerk)
    assert response.status_code in (200, 201)
    return response.get_json()


def _saved(tmp_path, checkpoint: dict, *, as_json: bool = True):
    path = tmp_path / ("checkpoint.json" if as_json else "checkpoint")
    path.write_text(json.dumps(checkpoint) if as_json else checkpoint["note"], encoding="utf-8")
    return str(path)


def _verify(*args: str):
    return CliRunner().invoke(verify, list(args))


def _grow(registry: Registry, entries: int = 2) -> None:
    for _ in range(entries):
        registry.party()


def _as_replica(conn) -> None:
    """Lets a tampering test past the log's append-only triggers (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))


def test_a_log_that_only_grew_since_the_saved_checkpoint_passes(
    cli_app, client, clerk, registry, tmp_path
):
    _grow(registry)
    saved = _sign(client, clerk)
    as_json, as_note = _saved(tmp_path, saved), _saved(tmp_path, saved, as_json=False)
    assert _verify("--since-checkpoint", as_json).exit_code == 0  # the latest itself
    _grow(registry, 3)
    latest = _sign(client, clerk)
    assert latest["tree_size"] > saved["tree_size"]
    for path in (as_json, as_note):
        result = _verify("--since-checkpoint", path)
        assert result.exit_code == 0, result.output
        assert f"checked saved checkpoint: {saved['tree_size']} entries" in result.output
        assert f"latest checkpoint {latest['tree_size']} extends the saved one" in result.output


@pytest.mark.tampers
def test_deleting_the_newest_checkpoint_row_is_caught(cli_app, client, clerk, registry, tmp_path):
    _grow(registry)
    _sign(client, clerk)
    _grow(registry)
    newest = _sign(client, clerk)
    saved = _saved(tmp_path, newest)
    with database(cli_app).engine.begin() as conn:
        _as_replica(conn)
        conn.execute(
            delete(LedgerCheckpoint).where(LedgerCheckpoint.tree_size == newest["tree_size"])
        )
    plain = _verify()
    assert plain.exit_code == 0, plain.output  # the log agrees with itself: the audit is blind
    result = _verify("--since-checkpoint", saved)
    assert result.exit_code == 1
    assert "no longer stored" in result.output
    assert "fewer than the" in result.output and "newer checkpoint was deleted" in result.output


@pytest.mark.tampers
def test_a_log_rolled_back_below_the_saved_checkpoint_is_caught(
    cli_app, client, clerk, registry, tmp_path
):
    _grow(registry)
    kept = _sign(client, clerk)["tree_size"]
    _grow(registry, 3)
    saved = _saved(tmp_path, _sign(client, clerk))
    _roll_back(cli_app, kept)
    result = _verify("--since-checkpoint", saved)
    assert result.exit_code == 1
    assert "the log shrank" in result.output and f"holds {kept} entries" in result.output


@pytest.mark.tampers
def test_a_history_rewritten_after_the_saved_checkpoint_is_caught(
    cli_app, client, clerk, registry, tmp_path
):
    _grow(registry)
    kept = _sign(client, clerk)["tree_size"]
    _grow(registry, 2)
    saved_checkpoint = _sign(client, clerk)
    saved = _saved(tmp_path, saved_checkpoint)
    _roll_back(cli_app, kept)
    _grow(registry, 4)  # other entries take the place of the ones the caller saw
    latest = _sign(client, clerk)
    assert latest["tree_size"] > saved_checkpoint["tree_size"]
    result = _verify("--since-checkpoint", saved)
    assert result.exit_code == 1
    assert "history diverged" in result.output
    assert f"is not a prefix of the log's tree of {latest['tree_size']}" in result.output


def test_a_checkpoint_of_a_forked_view_is_caught(cli_app, client, clerk, registry, tmp_path):
    """A split view: the log's key signed, for one caller, a tree the log does not hold."""
    _grow(registry, 3)
    real = _sign(client, clerk)
    signer = app_signer(cli_app)
    forked_note = signer.sign(real["tree_size"], bytes(32))
    saved = _saved(tmp_path, {**real, "note": forked_note})
    _grow(registry)
    _sign(client, clerk)
    result = _verify("--since-checkpoint", saved)
    assert result.exit_code == 1
    assert "history diverged" in result.output and "another root" in result.output


def test_a_checkpoint_the_log_never_signed_is_refused(cli_app, client, clerk, registry, tmp_path):
    _grow(registry)
    real = _sign(client, clerk)
    stranger = LogSigner(
        real["origin"], cli_app.config["LEDGER_KEY_NAME"], Ed25519PrivateKey.generate()
    )
    note = stranger.sign(real["tree_size"], bytes(32))
    result = _verify("--since-checkpoint", _saved(tmp_path, {**real, "note": note}))
    assert result.exit_code == 1 and "not one this log signed" in result.output
    other_log = app_signer(cli_app)
    foreign = LogSigner("another.example/log", other_log.key_name, other_log.private_key)
    note = foreign.sign(real["tree_size"], bytes(32))
    result = _verify("--since-checkpoint", _saved(tmp_path, {**real, "note": note}))
    assert result.exit_code == 1 and "of log 'another.example/log'" in result.output


def test_an_unreadable_saved_checkpoint_is_a_usage_error(cli_app, tmp_path):
    path = tmp_path / "checkpoint.json"
    path.write_text('{"tree_size": 3}', encoding="utf-8")
    result = _verify("--since-checkpoint", str(path))
    assert result.exit_code == 2 and "'note'" in result.output


def _roll_back(app, size: int) -> None:
    """Put the log back to its first ``size`` entries (as a restore of an old copy of the log
    tables would): later entries, their nodes, refs and checkpoints go."""
    with database(app).engine.begin() as conn:
        _as_replica(conn)
        conn.execute(delete(LedgerRef).where(LedgerRef.seq >= size))
        conn.execute(delete(LedgerEntry).where(LedgerEntry.seq >= size))
        nodes = conn.execute(select(LedgerNode.level, LedgerNode.position)).all()
        for level, position in nodes:
            if (position + 1) << level > size:
                conn.execute(
                    delete(LedgerNode).where(
                        LedgerNode.level == level, LedgerNode.position == position
                    )
                )
        conn.execute(delete(LedgerCheckpoint).where(LedgerCheckpoint.tree_size > size))
        conn.execute(
            update(LedgerHead)
            .where(LedgerHead.id == store.HEAD_ID)
            .values(size=size, frontier=None)
        )
