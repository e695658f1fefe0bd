"""The model loads once per process, on first use; commands that never value import no ML stack.

The import checks run in a fresh interpreter (this one has long imported NumPy); they assert
which modules were imported, never how long anything took.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from ipx.valuation import serving

ROOT = Path(__file__).resolve().parents[2]
ML_STACK = "sorted(m for m in ('lightgbm', 'sklearn', 'numpy') if m in sys.modules)"


def _python(code: str, tmp_path: Path) -> str:
    env = {
        **os.environ,
        "IPX_DATABASE_URL": f"sqlite:///{tmp_path / 'ipx.sqlite3'}",
        "IPX_SIGNING_KEY_FILE": str(tmp_path / "signing.key"),
        "IPX_DIGEST_KEY_FILE": str(tmp_path / "digest.key"),
        "IPX_SESSION_KEY_FILE": str(tmp_path / "session.key"),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_ipx_help_imports_no_ml_stack(tmp_path):
    code = (
        f"import ipx.cli, sys; ipx.cli.main(['--help'], standalone_mode=False); print({ML_STACK})"
    )
    assert _python(code, tmp_path) == "[]"


def test_keys_create_builds_its_app_without_the_ml_stack(tmp_path):
    code = (
        "import ipx.cli, sys\n"
        "ipx.cli.main(['init'], standalone_mode=False)\n"
        "ipx.cli.main(['keys', 'create', '--role', 'clerk'], standalone_mode=False)\n"
        f"print({ML_STACK})"
    )
    assert _python(code, tmp_path) == "[]"


def test_an_app_loads_its_model_on_the_first_valuation_or_when_preloading(tmp_path):
    code = (
        "import sys\n"
        "from ipx import create_app\n"
        "from ipx.valuation import serving\n"
        "lazy = create_app()\n"
        f"before = {ML_STACK}\n"
        "first = serving.valuer(lazy)\n"
        "server = create_app({'PRELOAD_MODEL': True})\n"
        "print(before, serving.is_loaded(server), serving.valuer(server) is first)"
    )
    assert _python(code, tmp_path) == "[] True True"


def test_serving_needs_neither_training_nor_scikit_learn(tmp_path):
    """Value with scikit-learn made unimportable (LightGBM then skips its optional sklearn API)."""
    modules = ["predictor", "artifact", "batch", "flags", "features", "feature_batch", "income"]
    modules += ["survival", "model", "stages", "terms", "serving", "services", "routes", "schemas"]
    code = (
        "import importlib, sys\n"
        "sys.modules['sklearn'] = None  # any import of it now raises ImportError\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('ipx.valuation.' + name)\n"
        "from ipx.valuation.predictor import Valuer\n"
        "from tests.valuation_samples import BASE, MODEL\n"
        "assert Valuer.load(MODEL).value(BASE).score is not None\n"
        "print(sorted(m for m in sys.modules if m.startswith(('ipx.valuation.training', "
        "'ipx.registry'))))"
    )
    assert _python(code, tmp_path) == "[]"


def test_train_and_evaluate_are_listed_with_their_own_help():
    from ipx.cli import DEFERRED_COMMANDS, main

    for name, _, help_line in DEFERRED_COMMANDS:
        real = main.commands[name].load()
        assert real.name == name and real.help.splitlines()[0] == help_line


def test_concurrent_first_valuations_load_the_model_once(monkeypatch):
    calls = []

    @functools.cache
    def slow_load(model_dir, ltv_caps):
        calls.append(model_dir)
        time.sleep(0.05)  # long enough for every thread to arrive while the first one loads
        return object()

    monkeypatch.setattr(serving, "_load", slow_load)
    config = {"MODEL_DIR": "models/x", "LTV_CAPS": {"invention": "0.25"}}
    apps = [SimpleNamespace(config=config, extensions={}) for _ in range(8)]
    got = []
    threads = [threading.Thread(target=lambda a=a: got.append(serving.valuer(a))) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(got) == 8 and len({id(v) for v in got}) == 1
    assert all(serving.is_loaded(a) for a in apps)


def test_ipx_serve_preloads_the_model_unless_told_not_to(monkeypatch):
    """``IPX_PRELOAD_MODEL`` decides whether ``ipx serve``'s workers load the model at start."""
    from ipx.ops.server import _Server

    server = _Server.__new__(_Server)  # the worker's app factory only, no gunicorn config
    server.app_config = {"DATABASE_URL": "sqlite://"}
    for setting, preloads in (("1", True), ("0", False), ("false", False), (None, True)):
        if setting is None:
            monkeypatch.delenv("IPX_PRELOAD_MODEL", raising=False)
        else:
            monkeypatch.setenv("IPX_PRELOAD_MODEL", setting)
        assert server.load().config["PRELOAD_MODEL"] is preloads, setting
