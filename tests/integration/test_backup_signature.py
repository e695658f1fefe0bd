"""The backup manifest is signed with the log's Ed25519 signing key over its canonical JSON, and
``ipx restore`` refuses, with one stable message and changing nothing, a manifest whose
signature does not verify with the log's public key from *outside* the backup (the operator's
``--public-key``, or the target instance's own key): edited, re-signed by another key (even
with that key swapped into the backup and its digest fixed), or unsigned. Without such a key
it refuses; a version 1 (unsigned) backup only goes in with ``--allow-unsigned``."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import inspect

from ipx.db import create_db_engine
from ipx.instance_keys import load_signing_key
from ipx.ledger.canonical import canonical_json
from ipx.ledger.signing import app_signer
from ipx.ops.backup import (
    NO_TRUSTED_KEY,
    SIGNATURE_CONTEXT,
    SIGNATURE_INVALID,
    UNSIGNED_REFUSED,
    UNSIGNED_WARNING,
    sign_manifest,
)
from tests.integration import test_backup_restore as backups
from tests.integration.test_backup_restore import KEY_SETTINGS, instance_env, source_env

ipx_cli, fresh_db_url = backups.ipx_cli, backups.fresh_db_url  # the fixtures, here too


@pytest.fixture
def backed_up(app, registry, ipx_cli, tmp_path) -> Path:
    """A backup of the test database, which holds records and a signed log."""
    registry.party()
    directory = tmp_path / "backup"
    made = ipx_cli(source_env(app), "backup", str(directory))
    assert made.exit_code == 0, made.output
    return directory


def _public_key(app) -> str:
    """What the operator keeps apart from the backup: the log's public key, base64."""
    return base64.b64encode(app_signer(app).public_key).decode("ascii")


def _manifest(directory: Path) -> dict:
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))


def _write(directory: Path, manifest: dict) -> None:
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _unchanged_target(target: dict[str, str], db_url: str) -> None:
    engine = create_db_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
    assert not any(Path(target[f"IPX_{name}"]).exists() for name in KEY_SETTINGS)


def test_the_manifest_is_signed_by_the_logs_key_over_its_canonical_json(app, backed_up):
    manifest = _manifest(backed_up)
    signature = manifest.pop("signature")
    signer = app_signer(app)
    assert signature["algorithm"] == "Ed25519"
    assert base64.b64decode(signature["public_key"]) == signer.public_key
    key = Ed25519PublicKey.from_public_bytes(signer.public_key)
    key.verify(base64.b64decode(signature["value"]), SIGNATURE_CONTEXT + canonical_json(manifest))


@pytest.mark.parametrize(
    "tamper",
    ["edited", "re-signed", "unsigned", "bad-value"],
)
def test_restore_refuses_a_manifest_whose_signature_does_not_verify(
    app, backed_up, ipx_cli, fresh_db_url, tmp_path, tamper
):
    manifest = _manifest(backed_up)
    if tamper == "edited":  # a claim changed, every file (and its digest) left as it was
        manifest["checkpoint"]["tree_size"] += 1
    elif tamper == "re-signed":  # a valid signature, by a key that is not the backup's
        del manifest["signature"]
        manifest["signature"] = sign_manifest(manifest, Ed25519PrivateKey.generate(), "x")
    elif tamper == "unsigned":
        del manifest["signature"]
    else:
        manifest["signature"]["value"] = "not base64!"
    _write(backed_up, manifest)
    target = instance_env(fresh_db_url, tmp_path / "restored-instance")
    refused = ipx_cli(target, "restore", str(backed_up), "--public-key", _public_key(app))
    assert refused.exit_code == 1
    assert f"not restored: {SIGNATURE_INVALID}" in refused.output
    _unchanged_target(target, fresh_db_url)


def _swap_signing_key(directory: Path) -> Ed25519PrivateKey:
    """What an attacker with write access to the backup does: another signing key in
    ``keys/``, its digest fixed in the manifest, the manifest signed again with it."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    manifest = _manifest(directory)
    relative = manifest["keys"]["signing"]
    other = Ed25519PrivateKey.generate()
    (directory / relative).write_bytes(
        other.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    data = (directory / relative).read_bytes()
    manifest["files"][relative] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    del manifest["signature"]
    manifest["signature"] = sign_manifest(manifest, other, manifest["key_name"])
    _write(directory, manifest)
    return other


@pytest.mark.parametrize("backend", ["sqlite"])
def test_restore_refuses_a_swapped_key_with_its_digest_fixed_and_the_manifest_re_signed(
    app, backed_up, ipx_cli, fresh_db_url, tmp_path
):
    other = _swap_signing_key(backed_up)
    assert load_signing_key(backed_up / "keys/signing.key").public_key().public_bytes_raw() == (
        other.public_key().public_bytes_raw()
    )  # the backup is consistent in itself: only a key from outside it tells
    target = instance_env(fresh_db_url, tmp_path / "restored-instance")
    refused = ipx_cli(target, "restore", str(backed_up), "--public-key", _public_key(app))
    assert refused.exit_code == 1
    assert f"not restored: {SIGNATURE_INVALID}" in refused.output
    _unchanged_target(target, fresh_db_url)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_restore_checks_against_the_target_instances_own_signing_key(
    app, backed_up, ipx_cli, fresh_db_url, tmp_path
):
    """Without --public-key, the target instance's signing key (already in place, outside the
    backup) is the one trusted: a re-signed backup is refused, the genuine one restores."""
    target = instance_env(fresh_db_url, tmp_path / "restored-instance")
    signing = Path(target["IPX_SIGNING_KEY_FILE"])
    signing.parent.mkdir(parents=True)
    signing.write_bytes(Path(app.config["SIGNING_KEY_FILE"]).read_bytes())
    genuine = tmp_path / "genuine"
    shutil.copytree(backed_up, genuine)
    _swap_signing_key(backed_up)
    refused = ipx_cli(target, "restore", str(backed_up))
    assert refused.exit_code == 1
    assert f"not restored: {SIGNATURE_INVALID}" in refused.output
    restored = ipx_cli(target, "restore", str(genuine))
    assert restored.exit_code == 0, restored.output


@pytest.mark.parametrize("backend", ["sqlite"])
def test_restore_without_a_key_from_outside_the_backup_is_refused(
    backed_up, ipx_cli, fresh_db_url, tmp_path
):
    target = instance_env(fresh_db_url, tmp_path / "restored-instance")
    refused = ipx_cli(target, "restore", str(backed_up))
    assert refused.exit_code == 1
    assert f"not restored: {NO_TRUSTED_KEY}" in refused.output
    _unchanged_target(target, fresh_db_url)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_backup_prints_the_key_and_restore_takes_the_public_key_endpoints_list(
    app, registry, ipx_cli, fresh_db_url, tmp_path
):
    registry.party()
    directory = tmp_path / "backup"
    made = ipx_cli(source_env(app), "backup", str(directory))
    assert made.exit_code == 0, made.output
    signature = _manifest(directory)["signature"]
    assert signature["public_key"] == _public_key(app)
    assert f"public key {signature['public_key']}" in made.output
    assert signature["key_id"] in made.output and signature["verifier_key"] in made.output
    key_list = tmp_path / "public-key.json"
    served = app.test_client().get("/api/v1/ledger/public-key")
    assert served.status_code == 200
    key_list.write_text(json.dumps(served.get_json()), encoding="utf-8")
    target = instance_env(fresh_db_url, tmp_path / "restored-instance")
    restored = ipx_cli(target, "restore", str(directory), "--public-key", str(key_list))
    assert restored.exit_code == 0, restored.output
    assert ipx_cli(target, "verify").exit_code == 0


def _as_version_1(directory: Path) -> None:
    manifest = _manifest(directory)
    del manifest["signature"]
    manifest["version"] = 1
    _write(directory, manifest)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_unsigned_version_1_backup_is_refused_unless_explicitly_allowed(
    app, backed_up, ipx_cli, fresh_db_url, tmp_path
):
    _as_version_1(backed_up)
    target = instance_env(fresh_db_url, tmp_path / "restored-instance")
    refused = ipx_cli(target, "restore", str(backed_up), "--public-key", _public_key(app))
    assert refused.exit_code == 1
    assert f"not restored: {UNSIGNED_REFUSED}" in refused.output
    _unchanged_target(target, fresh_db_url)
    allowed = ipx_cli(target, "restore", str(backed_up), "--allow-unsigned")
    assert allowed.exit_code == 0, allowed.output
    assert f"warning: {UNSIGNED_WARNING}" in allowed.output
