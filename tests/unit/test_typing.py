"""The type check: ``mypy`` over ``ipx/`` as ``[tool.mypy]`` in pyproject.toml sets it (strict on
the pure domain modules and the ledger maths, function bodies checked everywhere).

No database: it runs once, whichever backends the suite runs on. mypy keeps its incremental
cache in ``.mypy_cache/`` (git-ignored), so a rerun checks only what changed.
"""

from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_finds_no_type_errors(monkeypatch):
    monkeypatch.chdir(ROOT)  # mypy reads its configuration, and `files`, from here
    report, errors, status = api.run([])
    assert status == 0, report + errors
