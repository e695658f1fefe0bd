"""``ipx backup`` and ``ipx restore`` on SQLite and PostgreSQL: a backup taken while
registrations keep arriving restores into a fresh database that ``ipx verify`` finds clean,
ending with the checkpoint its manifest names; a missing instance key stops every command and
is never replaced by a new one."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ipx import create_app
from ipx.db import create_db_engine
from ipx.db_ext import database
from ipx.instance_keys import MissingInstanceKey
from ipx.ledger.checkpoints import b64, latest_checkpoint
from ipx.ledger.note import parse_and_verify_note
from ipx.ledger.signing import app_signer
from ipx.ledger.tables import LedgerEntry
from ipx.ops import backup as backup_module
from ipx.ops import pg_tools
from ipx.registry.orm import Party
from tests.conftest import _drop_pg_database, _pg_database
from tests.registry_helpers import credit_code

KEY_SETTINGS = ("SIGNING_KEY_FILE", "DIGEST_KEY_FILE", "SESSION_KEY_FILE")


def instance_env(db_url: str, directory: Path) -> dict[str, str]:
    return {
        "IPX_DATABASE_URL": db_url,
        **{f"IPX_{name}": str(directory / f"{name.lower()}") for name in KEY_SETTINGS},
    }


def public_key_of(app) -> str:
    """The log's public key (base64), as the operator gives it to ``ipx restore``."""
    return b64(app_signer(app).public_key)


def source_env(app) -> dict[str, str]:
    """The environment of an operator's shell on the test app's database and keys."""
    names = ("DATABASE_URL", *KEY_SETTINGS)
    return {f"IPX_{name}": str(app.config[name]) for name in names}


@pytest.fixture
def ipx_cli(monkeypatch):
    """``ipx ARGS`` in the environment ``env`` (a fresh one each call)."""
    import ipx.cli

    def run(env: dict[str, str], *args: str):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return CliRunner().invoke(ipx.cli.main, list(args))

    return run


@pytest.fixture
def fresh_db_url(backend, tmp_path):
    """An empty database of the test's backend, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    url = _pg_database()
    if url is None:
        pytest.skip("PostgreSQL unreachable")
    yield url
    _drop_pg_database(url)


class Registrations(threading.Thread):
    """Registers parties through the API, one after another, until told to stop."""

    def __init__(self, app, clerk: dict) -> None:
        super().__init__(daemon=True)
        self.client, self.clerk = app.test_client(), clerk
        self.stop, self.answers, self.failures = threading.Event(), [], []

    def run(self) -> None:
        while not self.stop.is_set():
            body = {"kind": "organization", "name": "并发登记公司", "credit_code": credit_code()}
            response = self.client.post("/api/v1/parties", json=body, headers=self.clerk)
            (self.answers if response.status_code == 201 else self.failures).append(response)

    def wait_for(self, count: int) -> None:
        while len(self.answers) < count and self.is_alive():
            self.stop.wait(0.01)


def _backup_under_load(app, clerk, ipx_cli, directory: Path, monkeypatch) -> tuple[dict, dict]:
    """Back up while registrations arrive: the manifest, and what the writer did meanwhile.

    The copy itself is held until two more registrations have landed: on PostgreSQL after the
    snapshot was exported (they must not be in the dump), on SQLite after the log was signed
    (the copy holds entries beyond its latest checkpoint)."""
    writer = Registrations(app, clerk)
    seen: dict = {}

    def held(copy):
        def run(*args):
            writer.wait_for(len(writer.answers) + 2)
            seen["entries_when_copied"] = _entries(app)
            return copy(*args)

        return run

    if database(app).engine.dialect.name == "postgresql":
        monkeypatch.setattr(pg_tools, "dump", held(pg_tools.dump))
    else:
        monkeypatch.setattr(backup_module, "_backup_sqlite", held(backup_module._backup_sqlite))
    writer.start()
    try:
        writer.wait_for(5)
        before = len(writer.answers)
        result = ipx_cli(source_env(app), "backup", str(directory))
        seen["during"] = len(writer.answers) - before
        writer.wait_for(len(writer.answers) + 3)  # and the service keeps taking writes after
    finally:
        writer.stop.set()
        writer.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert writer.failures == [], [r.get_json() for r in writer.failures]
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8")), seen


def _entries(app) -> int:
    with database(app).sessions() as session:
        return session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()


def test_a_backup_under_load_restores_into_a_fresh_database_that_verifies(
    app, clerk, ipx_cli, fresh_db_url, tmp_path, monkeypatch
):
    backup_dir = tmp_path / "backup"
    manifest, seen = _backup_under_load(app, clerk, ipx_cli, backup_dir, monkeypatch)
    assert seen["during"] >= 2, "registrations should have landed while the backup ran"
    if manifest["backend"] == "postgresql":  # those after the snapshot are not in the dump
        assert manifest["log_size"] < seen["entries_when_copied"]
    else:  # the copy holds them, beyond its latest checkpoint
        assert manifest["log_size"] >= seen["entries_when_copied"]
        assert manifest["checkpoint"]["tree_size"] < manifest["log_size"]

    # The manifest names the snapshot's own latest checkpoint, signed by the instance's key.
    checkpoint = manifest["checkpoint"]
    signer = app_signer(app)
    signed = parse_and_verify_note(checkpoint["note"], signer.key_name, signer.public_key)
    assert (signed.tree_size, b64(signed.root_hash)) == (
        checkpoint["tree_size"],
        checkpoint["root_hash"],
    )
    assert checkpoint["tree_size"] <= manifest["log_size"]
    assert manifest["schema_revision"] and manifest["backend"] == database(app).engine.dialect.name
    assert set(manifest["keys"]) == {"digest", "signing", "session"}
    for relative, digest in manifest["files"].items():
        data = (backup_dir / relative).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest["sha256"]
    for role, setting in (("digest", "DIGEST_KEY_FILE"), ("signing", "SIGNING_KEY_FILE")):
        copied = (backup_dir / manifest["keys"][role]).read_bytes()
        assert copied == Path(app.config[setting]).read_bytes()

    target = instance_env(fresh_db_url, tmp_path / "restored-instance")
    restored = ipx_cli(target, "restore", str(backup_dir), "--public-key", public_key_of(app))
    assert restored.exit_code == 0, restored.output
    assert f"checkpoint {checkpoint['tree_size']} as in the manifest" in restored.output
    for setting in KEY_SETTINGS:  # the keys are back in the new instance, unchanged
        restored_key = Path(target[f"IPX_{setting}"]).read_bytes()
        assert restored_key == Path(app.config[setting]).read_bytes()
    verified = ipx_cli(target, "verify")
    assert verified.exit_code == 0, verified.output
    assert verified.output.rstrip().endswith("agree")

    engine = create_db_engine(fresh_db_url)
    try:
        with engine.connect() as connection:
            latest = latest_checkpoint_of(connection)
            entries = connection.execute(select(func.count()).select_from(LedgerEntry)).scalar()
            parties = connection.execute(select(func.count()).select_from(Party)).scalar()
    finally:
        engine.dispose()
    assert latest == (checkpoint["tree_size"], checkpoint["root_hash"], checkpoint["note"])
    assert entries == manifest["log_size"]
    with database(app).sessions() as session:  # the source went on growing
        assert session.execute(select(func.count()).select_from(Party)).scalar() > parties


def latest_checkpoint_of(connection) -> tuple[int, str, str]:
    from sqlalchemy.orm import Session

    with Session(bind=connection) as session:
        found = latest_checkpoint(session)
    assert found is not None
    return found.tree_size, b64(found.root_hash), found.note


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    app, registry, ipx_cli, fresh_db_url, tmp_path
):
    registry.party()
    backup_dir = tmp_path / "backup"
    assert ipx_cli(source_env(app), "backup", str(backup_dir)).exit_code == 0
    target = instance_env(fresh_db_url, tmp_path / "restored-instance")
    first = ipx_cli(target, "restore", str(backup_dir), "--public-key", public_key_of(app))
    assert first.exit_code == 0, first.output
    registry.party()  # the source moves on; a second backup of it
    newer_dir = tmp_path / "newer"
    assert ipx_cli(source_env(app), "backup", str(newer_dir)).exit_code == 0

    refused = ipx_cli(target, "restore", str(newer_dir))
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "--force" in refused.output
    assert ipx_cli(target, "verify").exit_code == 0  # the first restore, untouched

    forced = ipx_cli(target, "restore", "--force", str(newer_dir))
    assert forced.exit_code == 0, forced.output
    newer = json.loads((newer_dir / "manifest.json").read_text(encoding="utf-8"))
    assert f"checkpoint {newer['checkpoint']['tree_size']} as in the manifest" in forced.output
    assert ipx_cli(target, "verify").exit_code == 0


def test_restore_refuses_a_damaged_backup_and_changes_nothing(
    app, registry, ipx_cli, fresh_db_url, tmp_path
):
    registry.party()
    backup_dir = tmp_path / "backup"
    assert ipx_cli(source_env(app), "backup", str(backup_dir)).exit_code == 0
    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    database_file = backup_dir / manifest["database"]
    data = bytearray(database_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database_file.write_bytes(bytes(data))
    target = instance_env(fresh_db_url, tmp_path / "restored-instance")
    refused = ipx_cli(target, "restore", str(backup_dir), "--public-key", public_key_of(app))
    assert refused.exit_code == 1 and "SHA-256" in refused.output
    engine = create_db_engine(fresh_db_url)
    try:
        from sqlalchemy import inspect

        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
    assert not any(Path(target[f"IPX_{name}"]).exists() for name in KEY_SETTINGS)


def test_restore_never_overwrites_a_different_key_file_silently(
    app, registry, ipx_cli, fresh_db_url, tmp_path
):
    registry.party()
    backup_dir = tmp_path / "backup"
    assert ipx_cli(source_env(app), "backup", str(backup_dir)).exit_code == 0
    target = instance_env(fresh_db_url, tmp_path / "restored-instance")
    digest = Path(target["IPX_DIGEST_KEY_FILE"])
    digest.parent.mkdir(parents=True)
    digest.write_bytes(b"another instance's digest key.")
    refused = ipx_cli(target, "restore", str(backup_dir), "--public-key", public_key_of(app))
    assert refused.exit_code == 1 and "differs" in refused.output
    assert digest.read_bytes() == b"another instance's digest key."


def test_a_backup_goes_only_into_a_new_or_empty_directory(app, registry, ipx_cli, tmp_path):
    registry.party()
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "something").write_text("keep me")
    result = ipx_cli(source_env(app), "backup", str(occupied))
    assert result.exit_code == 1 and "not an empty directory" in result.output
    assert sorted(p.name for p in occupied.iterdir()) == ["something"]


def test_every_file_of_a_backup_is_owner_only_the_manifest_included(
    app, registry, ipx_cli, tmp_path
):
    """``DIR`` holds the instance's secrets: the manifest, renamed into place last like the
    instance's key files, is owner-only too, whatever the umask gives new files."""
    registry.party()
    backup_dir = tmp_path / "backup"
    umask = os.umask(0o022)
    try:
        result = ipx_cli(source_env(app), "backup", str(backup_dir))
    finally:
        os.umask(umask)
    assert result.exit_code == 0, result.output
    files = sorted(p for p in backup_dir.rglob("*") if p.is_file())
    assert backup_dir / "manifest.json" in files
    assert not [p.name for p in files if p.name.startswith(".")], "no temporary file is left"
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in files} == {
        p.name: "0o600" for p in files
    }


def test_every_file_of_a_backup_is_on_disk_before_its_manifest(
    app, registry, ipx_cli, tmp_path, monkeypatch
):
    """The manifest, written last, says the backup is whole: the database copy and the key
    copies are synced before it is (a crash must not leave a manifest over a torn copy)."""
    registry.party()
    backup_dir = tmp_path / "backup"
    synced: list[str] = []
    fsync = os.fsync

    def recording(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")).name)
        fsync(fd)

    monkeypatch.setattr(os, "fsync", recording)
    result = ipx_cli(source_env(app), "backup", str(backup_dir))
    assert result.exit_code == 0, result.output
    monkeypatch.undo()
    files = {p.name for p in backup_dir.iterdir() if p.is_file()} - {"manifest.json"}
    manifest_at = next(
        i
        for i, name in enumerate(synced)
        if name.startswith(".manifest") or name == "manifest.json"
    )
    assert files <= set(synced[:manifest_at]), (files, synced)


# --- a missing instance key -----------------------------------------------------------------------


@pytest.fixture
def without_digest_key(app, registry, tmp_path):
    """An operator's environment on the test database (which holds records) whose digest key
    file is missing (say, a restore of the database alone)."""
    registry.party()
    env = source_env(app)
    env["IPX_DIGEST_KEY_FILE"] = str(tmp_path / "gone" / "digest.key")
    return env


@pytest.mark.parametrize(
    "command",
    [
        ["verify"],
        ["serve"],
        ["seed"],
        ["checkpoint"],
        ["init"],
        ["keys", "list"],
        ["users", "list"],
        ["signing", "rotate"],
        ["backup", "unused-dir"],
    ],
)
def test_a_missing_digest_key_stops_every_command_and_none_creates_one(
    without_digest_key, ipx_cli, command, monkeypatch, tmp_path
):
    import ipx.ops.server

    started = []
    monkeypatch.setattr(ipx.ops.server, "run", lambda *a, **k: started.append(a))
    monkeypatch.chdir(tmp_path)
    result = ipx_cli(without_digest_key, *command)
    assert result.exit_code == 1, result.output
    assert "identity-digest key" in result.output and "is missing" in result.output
    assert "Traceback" not in result.output and started == []
    assert not Path(without_digest_key["IPX_DIGEST_KEY_FILE"]).exists()
    assert not (tmp_path / "unused-dir").exists()


def test_the_app_refuses_to_start_without_its_digest_key_over_records(app, registry, tmp_path):
    registry.party()
    missing = tmp_path / "digest.key"
    with pytest.raises(MissingInstanceKey, match="identity-digest key"):
        create_app({**app.config, "DIGEST_KEY_FILE": str(missing)})
    assert not missing.exists()


def test_a_database_without_records_gets_a_new_digest_key(app, tmp_path):
    fresh = tmp_path / "digest.key"
    other = create_app({**app.config, "DIGEST_KEY_FILE": str(fresh)})  # no records yet
    database(other).engine.dispose()
    assert len(fresh.read_bytes()) == 32
