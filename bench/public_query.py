"""Public-query benchmark on both backends: the service over HTTP next to its SQL, raw.

    python bench/public_query.py [--backends sqlite postgresql] [--assets 100000]
                                 [--pledges 600] [--queries 2000] [--clients 4] [--tree DIR]

For each backend: a fresh database (PostgreSQL: ``ipx_bench_public`` on 127.0.0.1:5432, trust
auth; SQLite: a temporary file), ``ipx init`` and ``ipx seed``, ``--assets`` generated
inventions bulk-loaded (marked synthetic, no ledger events), ``--pledges`` of them pledged over
HTTP (every third cancelled), then ``GET /api/v1/public/encumbrances`` by number, by a
pledgor's whole name or credit code, and by a part of a pledgor's name, against ``ipx serve``
in the backend's default shape, each next to the same statement over the plain driver
(``bench/_public.py``) with the same client processes and inputs, in the same run. Prints each
table, then the ratios HTTP / raw, which are what to compare across machines and sessions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _public  # noqa: E402
from bench._server import Server  # noqa: E402
from bench.registry import _prepare_sqlite, fresh_pg_database, prepare  # noqa: E402
from ipx.config import SERVER_SHAPES  # noqa: E402


def run_backend(backend: str, args) -> tuple[list[dict], list[dict]]:
    """The HTTP ratios and the in-process CPU ratios of one backend."""
    workdir = Path(tempfile.mkdtemp(prefix=f"ipx-bench-public-{backend}-"))
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'ipx.sqlite3'}"
        setup = _prepare_sqlite(url, workdir / "instance", args.tree)
    else:
        url = fresh_pg_database("ipx_bench_public")
        setup = prepare(url, workdir / "instance", args.tree)
    args.workers_now = SERVER_SHAPES[backend]
    table, inputs = _public.bench_public(setup, url, args, Server)
    http = [{"backend": backend, **r} for r in _public.ratios(table)]
    return http, cpu_ratios(backend, setup["env"], inputs, workdir, args.cpu_calls)


def cpu_ratios(backend: str, env: dict, inputs: dict, workdir: Path, calls: int) -> list[dict]:
    """``bench/_public_cpu.py`` in a process of its own, on the instance's settings (and the
    ``--tree`` checkout's ipx, when one is given)."""
    if not calls:
        return []
    path = workdir / "inputs.json"
    path.write_text(json.dumps(inputs, ensure_ascii=False))
    script = Path(__file__).resolve().parent / "_public_cpu.py"
    done = subprocess.run(
        [sys.executable, str(script), str(path), "--calls", str(calls)],
        env=env,
        cwd=env.get("IPX_BENCH_TREE"),
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return [
        {"backend": backend, "kind": kind, **m, "ratio": m["service_ms"] / m["raw_ms"]}
        for kind, m in found.items()
    ]


def print_cpu(ratios: list[dict]) -> None:
    print("\nProcess CPU per call, in-process (median), the service / the raw statements")
    print(f"{'backend':<12}{'query':<16}{'calls':>7}{'service ms':>12}{'raw ms':>9}{'x':>7}")
    for r in ratios:
        print(
            f"{r['backend']:<12}{r['kind']:<16}{r['calls']:>7}{r['service_ms']:>12.2f}"
            f"{r['raw_ms']:>9.3f}{r['ratio']:>7.1f}"
        )


def print_ratios(ratios: list[dict]) -> None:
    print("\nHTTP / raw SQL, same inputs, same client processes, same run")
    print(
        f"{'backend':<12}{'query':<16}{'clients':>8}{'n':>7}"
        f"{'p50 x':>8}{'p99 x':>8}{'q/s raw/HTTP':>14}{'5xx':>5}"
    )
    for r in ratios:
        print(
            f"{r['backend']:<12}{r['kind']:<16}{r['clients']:>8}{r['n']:>7}"
            f"{r['p50']:>8.1f}{r['p99']:>8.1f}{r['qps']:>14.1f}{r['errors']:>5}"
        )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgresql"], choices=SERVER_SHAPES
    )
    parser.add_argument("--assets", type=int, default=100_000, help="generated assets")
    parser.add_argument("--pledges", type=int, default=600, help="pledged over HTTP")
    parser.add_argument("--queries", type=int, default=2000, help="queries per kind")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--max-seconds", type=float, default=60, help="per timed phase")
    parser.add_argument(
        "--cpu-calls", type=int, default=300, help="in-process calls per kind (0: skip)"
    )
    parser.add_argument(
        "--tree", type=Path, default=None, help="serve the ipx of this checkout (e.g. a commit)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    over_http, in_process = [], []
    for name in arguments.backends:
        http, cpu = run_backend(name, arguments)
        over_http += http
        in_process += cpu
    print_ratios(over_http)
    print_cpu(in_process)
