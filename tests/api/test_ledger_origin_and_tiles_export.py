"""The key name is the origin (one setting, IPX_LOG_ORIGIN), with checkpoints signed under the
old key name still verifiable; and ``ipx tiles export`` writes the tiles the API serves."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime

from click.testing import CliRunner

import ipx
from ipx.config import load_config
from ipx.db_ext import database
from ipx.ledger import merkle
from ipx.ledger.checkpoints import (
    CheckpointPolicy,
    LogSigner,
    latest_checkpoint,
    refresh_checkpoint,
)
from ipx.ledger.note import parse_and_verify_note
from ipx.ledger.signing import app_signer
from ipx.ledger.tiles import ENTRIES, Tile, TileNodes, decode_bundle
from ipx.ledger.verify import verify_consistency_between
from ipx.ops.tiles_export import export_tiles
from ipx.ops.tlog_cli import tiles_export
from tests.registry_helpers import audit

API = "/api/v1"


def test_one_setting_names_the_origin_and_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv("IPX_LOG_ORIGIN", raising=False)
    monkeypatch.delenv("IPX_LEDGER_ORIGIN", raising=False)
    default = load_config(tmp_path)
    assert default["LEDGER_KEY_NAME"] == default["LEDGER_ORIGIN"] == "ipx.example/pledge-log"
    monkeypatch.setenv("IPX_LOG_ORIGIN", "registry.example.cn/pledge-log")
    config = load_config(tmp_path)
    assert config["LEDGER_KEY_NAME"] == config["LEDGER_ORIGIN"] == "registry.example.cn/pledge-log"
    monkeypatch.setenv("IPX_WITNESSES", "http://w1.example/ k1+0000; http://w2.example k2 ;")
    assert load_config(tmp_path)["WITNESSES"] == [
        ("http://w1.example", "k1+0000"),
        ("http://w2.example", "k2"),
    ]


def test_checkpoints_signed_under_the_old_key_name_stay_verifiable(app, client, registry):
    with app.app_context():
        signer = app_signer(app)
    assert signer.key_name == signer.origin
    legacy = LogSigner(signer.origin, "ipx.example", signer.private_key)
    registry.party()
    old = refresh_checkpoint(
        database(app).engine, legacy, CheckpointPolicy(0, 1), datetime.now(UTC), force=True
    )
    registry.party()
    new = client.get(f"{API}/ledger/checkpoint").get_json()
    assert new["tree_size"] == old.tree_size + 1
    key = client.get(f"{API}/ledger/public-key").get_json()
    assert key["key_name"] == key["origin"]
    assert {k["key_name"] for k in key["keys"]} == {"ipx.example", signer.origin}
    public_key = key["public_key"]
    for note_text, name in ((old.note, "ipx.example"), (new["note"], signer.origin)):
        assert parse_and_verify_note(note_text, name, base64.b64decode(public_key))
    proof = client.get(f"{API}/ledger/proofs/consistency?first={old.tree_size}").get_json()
    verify_consistency_between(old.note, new["note"], proof["hashes"], public_key)
    report = audit(app)  # ipx verify: every checkpoint, under either name
    assert report.ok, report.problems


def test_tiles_export_writes_the_files_the_api_serves(app, client, registry, tmp_path, monkeypatch):
    monkeypatch.setattr(ipx, "create_app", lambda: app)
    for _ in range(5):
        registry.party()
    checkpoint = client.get(f"{API}/ledger/checkpoint").get_json()
    result = CliRunner().invoke(tiles_export, [str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert (out / "checkpoint").read_text() == checkpoint["note"]
    for tile in (Tile(0, 0, 5), Tile(ENTRIES, 0, 5)):
        served = client.get(f"{API}/ledger/{tile.path()}").get_data()
        assert (out / tile.path()).read_bytes() == served
    nodes = TileNodes(5, lambda tile: (out / tile.path()).read_bytes())
    assert base64.b64encode(nodes.root()).decode() == checkpoint["root_hash"]
    leaves = decode_bundle((out / "tile/entries/000.p/5").read_bytes())
    assert [merkle.leaf_hash(leaf) for leaf in leaves] == [nodes.get_node(0, i) for i in range(5)]
    # The log grows: a new export replaces the partial tiles of the old size.
    registry.party()
    client.get(f"{API}/ledger/checkpoint")
    with database(app).sessions() as session:
        done = export_tiles(session, latest_checkpoint(session), out)
    assert done.tree_size == 6 and done.removed == 2
    assert (out / "tile/0/000.p/6").is_file() and not (out / "tile/0/000.p/5").exists()


def test_exported_tiles_are_world_readable_whatever_the_umask(app, client, registry, tmp_path):
    """Whatever serves ``DIR`` (a web server, a CDN's uploader) reads the files as another
    user: 0644, even under an owner-only umask; no temporary file is left behind."""
    for _ in range(3):
        registry.party()
    client.get(f"{API}/ledger/checkpoint")
    out = tmp_path / "out"
    umask = os.umask(0o077)
    try:
        with database(app).sessions() as session:
            export_tiles(session, latest_checkpoint(session), out)
    finally:
        os.umask(umask)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert out / "checkpoint" in files and len(files) >= 3
    assert not [p for p in files if p.name.startswith(".")]
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {"0o644"}
    directories = [out, *(p for p in out.rglob("*") if p.is_dir())]
    assert {oct(p.stat().st_mode & 0o777) for p in directories} == {"0o755"}
