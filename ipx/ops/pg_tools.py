"""PostgreSQL's own tools for ``ipx backup`` and ``ipx restore``: ``pg_dump`` and ``pg_restore``.

They are found on ``PATH`` (Debian: the ``postgresql-client`` package) and must be at least
the server's major version. The connection goes to them as a libpq URI without the password,
which travels in ``PGPASSWORD`` instead: an argument would show in ``ps``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import Engine


class ToolFailed(RuntimeError):
    """A PostgreSQL tool is missing or failed; the message carries its error output."""


def libpq_target(engine: Engine) -> tuple[str, dict[str, str]]:
    """The engine's database as a libpq URI (no password) and the environment to run with."""
    url = engine.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def run_tool(name: str, arguments: list[str], env: dict[str, str]) -> str:
    """Run ``name`` with ``arguments``; its standard output, or ``ToolFailed``."""
    tool = shutil.which(name)
    if tool is None:
        raise ToolFailed(f"{name} is not on PATH (install PostgreSQL's client tools)")
    done = subprocess.run([tool, *arguments], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ToolFailed(f"{name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def tool_version(name: str) -> str:
    """``pg_dump (PostgreSQL) 15.20 ...``: which tool made a dump, for the manifest."""
    return run_tool(name, ["--version"], dict(os.environ)).strip()


def dump(engine: Engine, snapshot: str, out: Path) -> None:
    """``pg_dump`` in its custom format, reading the exported ``snapshot`` (so the dump is the
    database exactly as the exporting transaction sees it)."""
    target, env = libpq_target(engine)
    run_tool(
        "pg_dump",
        ["--format=custom", f"--snapshot={snapshot}", f"--file={out}", f"--dbname={target}"],
        env,
    )


def restore(engine: Engine, dump_file: Path) -> None:
    """``pg_restore`` in one transaction: the target holds all of the dump or none of it."""
    target, env = libpq_target(engine)
    run_tool(
        "pg_restore",
        [
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            f"--dbname={target}",
            str(dump_file),
        ],
        env,
    )
