"""The README's examples run as written, against ``ipx serve`` on a fresh instance.

The "Try the API" block (a clerk's key, two parties, a patent, the joint application, its
registration, the public query, a page of assets) and the offline check of the receipt are
taken from README.md itself and run by bash, word for word, against a server made as the
README's first command makes it (``ipx init``, ``ipx seed``, ``ipx serve``) on an SQLite file
of its own; only the address is the test's free port. The block's ``. .venv/bin/activate``
finds, in the scratch directory it runs in, an activate script that puts this Python's ``ipx``
first on ``PATH``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench._server import Server, instance_env, run_ipx

README = Path(__file__).resolve().parents[2] / "README.md"
ADDRESS = "http://127.0.0.1:8000"

pytestmark = pytest.mark.slow


def _block_after(heading: str, starting: str = "") -> str:
    """The first ```sh block after ``heading`` whose first line starts with ``starting``."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        if block.startswith(starting):
            return block
    raise AssertionError(f"no sh block under {heading!r} starting {starting!r}")


@pytest.fixture
def served(tmp_path):
    env = instance_env(
        f"sqlite:///{tmp_path / 'ipx.sqlite3'}", tmp_path / "instance", IPX_PRELOAD_MODEL="0"
    )
    run_ipx(["init"], env)
    run_ipx(["seed"], env)
    with Server(env, workers=1, threads=2, log_path=tmp_path / "serve.log") as server:
        yield env, server


def _run(script: str, env: dict, directory: Path) -> str:
    activate = directory / ".venv" / "bin" / "activate"
    activate.parent.mkdir(parents=True, exist_ok=True)
    activate.write_text(f'PATH="{Path(sys.executable).parent}:$PATH"\n')
    done = subprocess.run(
        ["bash", "-c", script],
        env=env,
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_the_try_the_api_block_registers_a_pledge_the_public_query_finds_and_verifies(
    served, tmp_path
):
    env, server = served
    block = _block_after("## Try the API")
    assert ADDRESS in block
    verify = _block_after("## The ledger and offline verification", "curl")
    # The receipt check runs in the same shell, after the block (it uses the block's $CLERK).
    script = (block + verify).replace(ADDRESS, server.base)
    out = _run(script, env, tmp_path)

    decoder, answers, at = json.JSONDecoder(), [], 0
    while True:  # the block's answers, one JSON document after another, then the check's line
        at = len(out) - len(out[at:].lstrip())
        if at >= len(out) or out[at] not in "{[":
            break
        answer, at = decoder.raw_decode(out, at)
        answers.append(answer)
    registered, public, assets = answers
    first = f"IPX-P-{datetime.now(UTC).year}-000001"  # the year of the registration
    assert registered["registration_number"] == first
    assert registered["status"] == "registered"
    assert [(p["registration_number"], p["asset_number"]) for p in public["items"]] == [
        (first, "202110355218.9")
    ]
    assert len(assets["items"]) == 2
    assert out[at:].strip().startswith("OK"), out[at:]
