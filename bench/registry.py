"""Registry benchmark: full pledge lifecycles over HTTP against ``ipx serve``, and the public query.

    python bench/registry.py [--workers 1 2 4] [--clients 8] [--lifecycles 600] [--assets 100000]
    python bench/registry.py --sqlite [--workers 1 2 4]

PostgreSQL mode (127.0.0.1:5432, trust auth): the bench creates fresh databases ``ipx_bench``
(the service) and ``ipx_bench_raw`` (the baseline), runs ``ipx init`` and ``ipx seed`` on both,
makes keys with ``ipx keys create``, then for each ``--workers`` setting starts ``ipx serve``
(gunicorn gthread) and has ``--clients`` client processes, each on one keep-alive connection,
run lifecycles: create an asset, file the application (a bank key), register, cancel (a clerk
key); with ``--query`` also lifecycles with a public query of the asset after its registration
(a bank's check before it lends: reads between the writes, on the same connections). Then a
register-only burst: applications filed first, then registered concurrently. Next to it, in
the same run, the raw psycopg baseline writes the same rows in the same tables (see
bench/_raw.py). Finally it loads ``--assets`` generated assets (marked synthetic), registers
pledges, and times the public query by number and by pledgor over HTTP next to the raw SQL.

``--sqlite`` runs the lifecycle bench on the embedded SQLite default (a temporary file).
Loops are bounded by counts and by ``--max-seconds`` per phase. Nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _public  # noqa: E402
from bench._clients import Job, busy_seconds, percentile, run_lifecycles, run_pool, run_registers  # noqa: E402
from bench._raw import run_raw_lifecycles  # noqa: E402
from bench._server import Server, create_key, instance_env, run_ipx  # noqa: E402
from ipx.config import SERVER_SHAPES  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
CALLS = ("asset", "apply", "register", "query", "cancel")


def fresh_pg_database(name: str) -> str:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def prepare(url: str, instance: Path, tree: Path | None = None) -> dict:
    """``ipx init`` and ``ipx seed``; keys; the pledgor and bank parties the clients use."""
    env = instance_env(url, instance, tree)
    run_ipx(["init"], env)
    run_ipx(["seed"], env)
    parties = _parties(url)
    bank = parties["banks"][0]
    return {
        "env": env,
        "url": url,
        "instance": instance,
        "clerk": create_key(env, "clerk"),
        "bank": create_key(env, "bank", bank),
        "bank_id": bank,
        "holders": parties["holders"],
    }


def _parties(url: str) -> dict:
    import psycopg

    dsn = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT id, sample_key FROM parties ORDER BY id").fetchall()
    banks = [i for i, key in rows if key and key.startswith("party:bank")]
    holders = [i for i, key in rows if key and not key.startswith("party:bank")]
    return {"banks": banks, "holders": holders}


def jobs(setup: dict, port: int, clients: int, per_client: int, run_no: int, budget: float):
    deadline = time.monotonic() + budget
    return [
        Job(
            port=port,
            clerk=setup["clerk"],
            bank=setup["bank"],
            pledgor_id=setup["holders"][i % len(setup["holders"])],
            pledgee_id=setup["bank_id"],
            year=2012 + run_no % 10,
            first_serial=8_000_000 + (run_no // 10) * 100_000 + i * 10_000,
            count=per_client,
            deadline=deadline,
        )
        for i in range(clients)
    ]


def summarise(label: str, results: list[dict], _wall: float, lifecycles: bool = True) -> dict:
    samples = [s for r in results for s in r["samples"]]
    wall = busy_seconds(samples)
    row = {"label": label, "wall": wall, "errors": sum(1 for s in samples if s[2] >= 500)}
    for call in {s[0] for s in samples}:
        ok = [s[1] for s in samples if s[0] == call and s[2] < 400]
        row[call] = (len(ok), percentile(ok, 50), percentile(ok, 99)) if ok else (0, 0.0, 0.0)
    row["unexpected"] = sum(1 for s in samples if 400 <= s[2] < 500)
    registered = row.get("register", (0,))[0]
    row["reg_s"] = registered / wall
    row["life_s"] = row.get("cancel", (0,))[0] / wall if lifecycles else 0.0
    return row


def print_table(title: str, rows: list[dict]) -> None:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n{title}\n(load average after the runs: {load}; 2 cores shared with the server, "
        "PostgreSQL and the clients)"
    )
    head = f"{'run':<46}{'life/s':>8}{'reg/s':>8}{'4xx':>5}{'5xx':>5}"
    for call in CALLS:
        head += f"{call + ' p50/p99 ms':>22}"
    print(head)
    for row in rows:
        line = f"{row['label']:<46}{row['life_s']:>8.1f}{row['reg_s']:>8.1f}"
        line += f"{row['unexpected']:>5}{row['errors']:>5}"
        for call in CALLS:
            n, p50, p99 = row.get(call, (0, 0.0, 0.0))
            cell = f"{p50 * 1000:.1f}/{p99 * 1000:.1f}" if n else "-"
            line += f"{cell:>22}"
        print(line)
    sys.stdout.flush()


def lifecycle_rows(setup: dict, args, run_no: int, label: str) -> list[dict]:
    """Lifecycles, then the register-only burst, against one running server."""
    rows = []
    log = Path(setup["env"]["IPX_DIGEST_KEY_FILE"]).parent / "serve.log"
    workers, threads = args.workers_now
    with Server(setup["env"], workers, log_path=log, threads=threads) as server:
        work = _jobs(setup, server.port, args, args.lifecycles, run_no)
        results, wall = run_pool(run_lifecycles, work)
        rows.append(summarise(f"{label} lifecycle", results, wall))
        if args.query:  # the same with a public query after each registration
            steps = ("asset", "apply", "register", "query", "cancel")
            mixed = _jobs(setup, server.port, args, args.lifecycles, run_no + 50, steps)
            results, wall = run_pool(run_lifecycles, mixed)
            rows.append(summarise(f"{label} lifecycle + query", results, wall))
        filing = _jobs(setup, server.port, args, args.burst, run_no + 1, ("asset", "apply"))
        filed, _ = run_pool(run_lifecycles, filing)
        deadline = time.monotonic() + args.max_seconds
        burst = [(server.port, setup["clerk"], r["applications"], deadline) for r in filed]
        results, wall = run_pool(run_registers, burst)
        rows.append(summarise(f"{label} register burst", results, wall, lifecycles=False))
    return rows


def _jobs(setup: dict, port: int, args, total: int, run_no: int, steps: tuple[str, ...] = ()):
    """``jobs`` for ``total`` lifecycles across the clients, doing ``steps`` (default: all)."""
    made = jobs(setup, port, args.clients, total // args.clients, run_no, args.max_seconds)
    return [Job(**{**job.__dict__, "steps": steps}) for job in made] if steps else made


def server_shape(text: str) -> tuple[int, int]:
    """``"2"`` -> (2 workers, 4 threads); ``"4x1"`` -> (4 workers, 1 thread)."""
    workers, _, threads = text.partition("x")
    return int(workers), int(threads or 4)


def main_pg(args) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="ipx-bench-"))
    url, raw_url = fresh_pg_database("ipx_bench"), fresh_pg_database("ipx_bench_raw")
    setup = prepare(url, workdir / "instance", args.tree)
    raw_setup = prepare(raw_url, workdir / "instance-raw", args.tree)
    rows, run_no = [], 0
    for shape in args.workers:
        for name, tree in _trees(args):
            args.workers_now = shape
            env = instance_env(setup["url"], setup["instance"], tree)
            label = f"HTTP{name}, {shape[0]} workers x {shape[1]} thr"
            rows += lifecycle_rows({**setup, "env": env}, args, run_no, label)
            run_no += 2
    dsn = raw_url.replace("postgresql+psycopg", "postgresql")
    work = [
        (dsn, job)
        for job in jobs(
            raw_setup, 0, args.clients, args.lifecycles // args.clients, 0, args.max_seconds
        )
    ]
    results, wall = run_pool(run_raw_lifecycles, work)
    rows.append(summarise("raw psycopg (same rows, same txs)", results, wall))
    print_table(
        f"Lifecycles on PostgreSQL, {args.clients} client processes (keep-alive), "
        f"{args.lifecycles} lifecycles/run; latency of successful calls",
        rows,
    )
    if args.assets:
        args.workers_now = args.workers[0]
        _public.bench_public(setup, url, args, Server)


def _trees(args) -> list[tuple[str, Path | None]]:
    """(label, tree) pairs: ``--compare A B`` alternates two checkouts on the same database."""
    if not args.compare:
        return [("", args.tree)]
    return [(f" [{Path(t).name}]", Path(t)) for t in args.compare]


def main_sqlite(args) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="ipx-bench-sqlite-"))
    url = f"sqlite:///{workdir / 'ipx.sqlite3'}"
    setup = _prepare_sqlite(url, workdir / "instance", args.tree)
    rows, run_no = [], 0
    for shape in args.workers:
        args.workers_now = shape
        label = f"SQLite, {shape[0]} workers x {shape[1]} thr"
        rows += lifecycle_rows(setup, args, run_no, label)
        run_no += 2
    print_table(
        f"Lifecycles on embedded SQLite (WAL, busy timeout, BEGIN IMMEDIATE), "
        f"{args.clients} client processes, {args.lifecycles} lifecycles/run",
        rows,
    )


def _prepare_sqlite(url: str, instance: Path, tree: Path | None) -> dict:
    import sqlite3

    env = instance_env(url, instance, tree)
    run_ipx(["init"], env)
    run_ipx(["seed"], env)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        rows = conn.execute("SELECT id, sample_key FROM parties ORDER BY id").fetchall()
    banks = [i for i, key in rows if key and key.startswith("party:bank")]
    return {
        "env": env,
        "clerk": create_key(env, "clerk"),
        "bank": create_key(env, "bank", banks[0]),
        "bank_id": banks[0],
        "holders": [i for i, key in rows if key and not key.startswith("party:bank")],
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="embedded SQLite instead of PG")
    parser.add_argument(
        "--workers",
        type=server_shape,
        nargs="+",
        default=None,
        help="gunicorn settings to run, each W (W workers x 4 threads) or WxT; "
        "default: ipx serve's for the backend (4x1 PostgreSQL, 2x4 SQLite)",
    )
    parser.add_argument("--clients", type=int, default=8, help="client processes")
    parser.add_argument("--lifecycles", type=int, default=800, help="per run, all clients")
    parser.add_argument("--burst", type=int, default=800, help="registrations in the burst")
    parser.add_argument(
        "--query",
        action="store_true",
        help="also lifecycles with a public query after each registration (reads between writes)",
    )
    parser.add_argument("--assets", type=int, default=100_000, help="0 skips the public query")
    parser.add_argument("--pledges", type=int, default=2000, help="pledges for the query phase")
    parser.add_argument("--queries", type=int, default=4000, help="public queries per kind")
    parser.add_argument(
        "--tree", type=Path, default=None, help="run the ipx of this checkout (a git worktree)"
    )
    parser.add_argument(
        "--compare", nargs="+", default=None, help="checkouts to run in turn (A/B on one database)"
    )
    parser.add_argument("--max-seconds", type=float, default=120, help="per phase")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.workers is None:
        arguments.workers = [SERVER_SHAPES["sqlite" if arguments.sqlite else "postgresql"]]
    (main_sqlite if arguments.sqlite else main_pg)(arguments)
