"""``wsgi.py`` (any WSGI server, ``gunicorn wsgi:app``) starts only as ``ipx serve`` does: with
the signing key missing beside a signed log it stops up front with the operator's message, and
gunicorn's arbiter halts instead of booting workers again; no key is created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ipx.db_ext import database
from ipx.ops.startup import APP_LOAD_ERROR, server_app

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINTS = "/api/v1/ledger/checkpoints"


@pytest.fixture
def signed_log(client, registry, clerk):
    """The test database with records and a signed checkpoint."""
    registry.party()
    assert client.post(CHECKPOINTS, headers=clerk).status_code == 201


def _env(app, **changes: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "SIGNING_KEY_FILE", "DIGEST_KEY_FILE", "SESSION_KEY_FILE"):
        env[f"IPX_{name}"] = str(app.config[name])
    env.update({f"IPX_{name}": value for name, value in changes.items()})
    return env


def test_a_missing_signing_key_stops_the_start_with_the_operators_message(
    app, signed_log, tmp_path, capsys
):
    missing = tmp_path / "keys" / "signing.key"
    with pytest.raises(SystemExit) as stopped:
        server_app({**app.config, "SIGNING_KEY_FILE": str(missing)})
    assert stopped.value.code == APP_LOAD_ERROR
    err = capsys.readouterr().err
    assert "ledger signing key" in err and str(missing) in err and "IPX_SIGNING_KEY_FILE" in err
    assert "Traceback" not in err
    assert not missing.exists(), "a new key over a signed log"


def test_with_its_keys_the_server_app_starts(app, signed_log):
    started = server_app(dict(app.config))
    try:
        assert started.test_client().get("/healthz").status_code == 200
    finally:
        database(started).dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_gunicorn_on_wsgi_py_halts_on_a_missing_signing_key(app, signed_log, tmp_path):
    missing = tmp_path / "signing.key"
    command = [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "wsgi:app"]
    env = _env(app, SIGNING_KEY_FILE=str(missing), METRICS_DIR=str(tmp_path / "metrics"))
    ran = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert ran.returncode == APP_LOAD_ERROR, ran.stderr[-2000:]
    assert "ledger signing key" in ran.stderr and str(missing) in ran.stderr
    assert "App failed to load" in ran.stderr  # the arbiter stopped, no worker loop
    assert "Traceback" not in ran.stderr
    assert not missing.exists()


def test_the_start_up_check_bounds_its_lock_waits_as_open_store_does(app, monkeypatch):
    """The key check before a WSGI server starts opens its engine with
    ``IPX_DB_LOCK_TIMEOUT_MS``, as every ``ipx`` command's ``open_store`` does."""
    from ipx.ops import startup

    opened: list[dict] = []
    real = startup.create_db_engine

    def recording(url, **kwargs):
        opened.append(kwargs)
        return real(url, **kwargs)

    monkeypatch.setattr(startup, "create_db_engine", recording)
    startup._check_keys({**app.config, "DB_LOCK_TIMEOUT_MS": 1234})
    assert [kwargs.get("lock_timeout_ms") for kwargs in opened] == [1234]
