"""The dependency rules: import-linter's contracts (pyproject.toml), no import cycles, and an
offline verifier that loads neither Flask nor SQLAlchemy when it runs."""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
from pathlib import Path

import grimp
from importlinter import cli

ROOT = Path(__file__).resolve().parents[2]
#: Alembic loads these by path; they are package data, not modules the project imports.
NOT_PACKAGES = {"migrations"}


def test_every_directory_of_modules_is_a_package():
    """A directory without ``__init__.py`` is invisible to the contracts (and to packaging)."""
    package = ROOT / "ipx"
    missing = sorted(
        str(directory.relative_to(ROOT))
        for directory in {path.parent for path in package.rglob("*.py")}
        if not (directory / "__init__.py").exists()
        and NOT_PACKAGES.isdisjoint(directory.relative_to(package).parts)
    )
    assert missing == []


def test_the_import_contracts_hold(capsys):
    with _loggers_kept():
        status = cli.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    assert status == cli.EXIT_STATUS_SUCCESS, capsys.readouterr().out


@contextlib.contextmanager
def _loggers_kept():
    """import-linter configures logging with ``dictConfig``, which disables every logger that
    exists: the app's loggers would then write nothing for the rest of this test process."""
    loggers = [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    disabled = [logger.disabled for logger in loggers]
    try:
        yield
    finally:
        for logger, was in zip(loggers, disabled, strict=True):
            logger.disabled = was


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph("ipx", cache_dir=None)
    cycles = [
        " -> ".join(_shortest_path(graph, module, module))
        for module in sorted(graph.modules)
        if any(
            module in graph.find_upstream_modules(imported)
            for imported in graph.find_modules_directly_imported_by(module)
        )
    ]
    assert cycles == []


def _shortest_path(graph: grimp.ImportGraph, start: str, end: str) -> list[str]:
    """The shortest chain of imports from ``start`` back to ``end`` (breadth first)."""
    paths, seen = [[start]], set()
    while paths:
        path = paths.pop(0)
        for imported in sorted(graph.find_modules_directly_imported_by(path[-1])):
            if imported == end:
                return [*path, end]
            if imported not in seen:
                seen.add(imported)
                paths.append([*path, imported])
    return [start]


def test_the_offline_verifier_loads_neither_flask_nor_sqlalchemy():
    # At run time, not only in the import graph: a package's __init__ runs too.
    code = (
        "import json, sys, ipx.ledger.verify; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert {"flask", "sqlalchemy", "werkzeug", "marshmallow"}.isdisjoint(json.loads(loaded))


def test_after_import_app_modules_building_an_app_imports_no_module_of_the_project(tmp_path):
    # What ``ipx serve``'s arbiter imports before it forks: a worker's create_app then imports
    # nothing of the project (a module missed would be imported again by every worker).
    code = (
        "import json, sys\n"
        "from ipx.app import create_app, import_app_modules\n"
        "import_app_modules()\n"
        "before = set(sys.modules)\n"
        f"folder = {str(tmp_path)!r}\n"
        "create_app({'DATABASE_URL': f'sqlite:///{folder}/ipx.sqlite3',\n"
        "            'SIGNING_KEY_FILE': f'{folder}/s.key', 'DIGEST_KEY_FILE': f'{folder}/d.key',\n"
        "            'SESSION_KEY_FILE': f'{folder}/k.key'})\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    imported = json.loads(loaded)
    assert [name for name in imported if name.split(".")[0] == "ipx"] == []
    # and none of the libraries the console's modules use
    assert {"wtforms", "flask_wtf", "babel", "flask_babel"}.isdisjoint(
        name.split(".")[0] for name in imported
    )
