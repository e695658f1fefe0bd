"""HTTP rows of bench/valuation.py: `ipx serve` on SQLite in a temporary folder.

Binds 127.0.0.1 only, on a free port; the server runs in its own process group and is stopped
(and the folder removed) even when the measurement fails half-way. Loops are bounded.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
SINGLE_N = 1000
BATCH_ITEMS = 10_000
BATCH_RUNS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _ipx(env: dict, *args: str) -> str:
    cmd = [sys.executable, "-m", "ipx.cli", *args]
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout


@contextlib.contextmanager
def ipx_server(workers: int = 1) -> Iterator[tuple[int, str]]:
    """(port, clerk key) of a fresh `ipx serve` on SQLite; stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="ipx-valuation-bench-") as tmp:
        port = _free_port()
        env = {
            **os.environ,
            "IPX_DATABASE_URL": f"sqlite:///{tmp}/ipx.sqlite3",
            "IPX_SIGNING_KEY_FILE": f"{tmp}/signing.key",
            "IPX_DIGEST_KEY_FILE": f"{tmp}/digest.key",
            "IPX_MAX_BODY_BYTES": str(32 * 1024 * 1024),  # a 10,000-item batch is ~3 MB
        }
        _ipx(env, "init")
        key = _ipx(env, "keys", "create", "--role", "clerk").strip().splitlines()[-1]
        cmd = [sys.executable, "-m", "ipx.cli", "serve", "--host", HOST, "--port", str(port)]
        log = open(Path(tmp) / "server.log", "w")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [*cmd, "--workers", str(workers)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_ready(port, proc)
            yield port, key
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            log.close()


def _wait_ready(port: int, proc: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ipx serve exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/api/v1/models/current")
            if conn.getresponse().status == 200:
                conn.close()
                return
        time.sleep(0.2)
    raise RuntimeError("ipx serve did not answer within 60 s")


def _post(conn: http.client.HTTPConnection, path: str, body: bytes, key: str) -> bytes:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 201:
        raise RuntimeError(f"POST {path}: {response.status} {data[:300]!r}")
    return data


def bench_http(body: dict, raw_single: tuple) -> tuple[list[tuple], tuple]:
    """POST /valuations p50/p99 over one keep-alive connection; a 10,000-item batch (median and
    best of BATCH_RUNS seconds)."""
    single = json.dumps(body).encode()
    rng = np.random.default_rng(0)
    items = [
        {**body, "features": {**body["features"], "claims": int(c)}}
        for c in rng.integers(1, 60, BATCH_ITEMS)
    ]
    batch = json.dumps({"items": items}).encode()
    with ipx_server() as (port, key):
        conn = http.client.HTTPConnection(HOST, port, timeout=300)
        for _ in range(50):
            _post(conn, "/api/v1/valuations", single, key)
        times = []
        for _ in range(SINGLE_N):
            start = time.perf_counter()
            _post(conn, "/api/v1/valuations", single, key)
            times.append(time.perf_counter() - start)
        runs = []
        for _ in range(BATCH_RUNS):
            start = time.perf_counter()
            _post(conn, "/api/v1/valuations/batch", batch, key)
            runs.append(time.perf_counter() - start)
        conn.close()
    ms = [t * 1e3 for t in times]
    row = (
        "HTTP POST /valuations",
        statistics.median(ms),
        float(np.percentile(ms, 99)),
        *raw_single,
    )
    return [row], (f"HTTP batch of {BATCH_ITEMS:,}", statistics.median(runs), min(runs))
