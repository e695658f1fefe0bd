"""Write-path benchmark over HTTP: what the map of encumbrances and the outbox cost registrations.

    python bench/write_path.py [--backends sqlite pg] [--map-sizes 0 10000 100000]
                               [--rounds 3] [--lifecycles 120] [--clients 4] [--quick]
                               [--variants shipped no-map no-outbox] [--tree DIR]

Per backend (SQLite, a temporary file; PostgreSQL, a scratch database ``ipx_bench_write`` on
127.0.0.1:5432, dropped afterwards): ``ipx init``, ``ipx seed``, keys, and three webhook
subscriptions to a loopback receiver (so every registration is announced). Then, per map
size, ``--rounds`` rounds, each starting ``ipx serve`` once per server variant
(``bench/_variant_app.py``: ``shipped``; ``no-map``, the map update of each append switched
off; ``no-outbox``, the outbox write switched off), the variants' order rotating from round to
round so drift in the shared machine weighs on all alike. In each run ``--clients`` client
processes (keep-alive) do ``--lifecycles`` registrations as ``bench/registry.py`` counts them:
an asset, the application (a bank key), its registration. Registrations/s is over the clients'
busy time; the table gives the median over the rounds and the ratio to ``shipped``.

Map size 0 is the map ``ipx seed`` made; a size N replaces it with a GENERATED map of N pledged
assets (``bench/encumbrance_map.py``'s bulk loader), so the cost of the map at size shows. The
``no-outbox`` variant runs at the first size only (the outbox does not depend on the map);
``shipped`` must be among ``--variants`` (the ratios are to it).
``--quick``: SQLite, sizes 0 and 10,000, 2 rounds of 60. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import _variant_app, registry  # noqa: E402
from bench._clients import Client, Job, _one_lifecycle, run_lifecycles, run_pool  # noqa: E402
from bench._server import Server  # noqa: E402
from ipx.config import SERVER_SHAPES  # noqa: E402

STEPS = ("asset", "apply", "register")
SUBSCRIPTIONS = (["pledge.registered"], ["pledge.registered", "asset.frozen"], ["pledge.changed"])
FIRST_GENERATED_ID = 10**9  # generated map assets: clear of the database's real asset ids
PG_DATABASE = "ipx_bench_write"
#: --no-delivery: servers run without the notification worker (set from the command line).
NO_DELIVERY = False


@dataclass
class Backend:
    """One scratch instance: its setup (``bench/registry.py``'s), how to drop it."""

    name: str
    url: str
    setup: dict
    drop: Callable[[], None]
    workdir: Path
    runs: int = 0
    outbox_events: list[tuple[int, float]] = field(default_factory=list)


def open_backend(name: str, receiver_url: str, tree: Path | None = None) -> Backend:
    workdir = Path(tempfile.mkdtemp(prefix=f"ipx-bench-write-{name}-"))
    if name == "sqlite":
        url = f"sqlite:///{workdir / 'ipx.sqlite3'}"
        setup = registry._prepare_sqlite(url, workdir / "instance", tree)
        drop = lambda: None  # noqa: E731 - the temporary directory is left for the logs
    else:
        url = registry.fresh_pg_database(PG_DATABASE)
        setup = registry.prepare(url, workdir / "instance", tree)
        drop = _drop_pg
    setup["env"]["IPX_WEBHOOK_ALLOW_LOOPBACK"] = "1"
    if NO_DELIVERY:
        setup["env"]["IPX_BENCH_NO_DELIVERY"] = "1"
    backend = Backend(name, url, setup, drop, workdir)
    _subscribe(backend, receiver_url)
    return backend


def _drop_pg() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def _subscribe(backend: Backend, receiver_url: str) -> None:
    """Three subscriptions of the bank, made over HTTP (a shipped server)."""
    with _server(backend, "shipped") as server:
        client = Client(server.port)
        for events in SUBSCRIPTIONS:
            body = {"url": receiver_url, "events": events}
            status, answer = client.call(
                "subscribe", "POST", "/api/v1/subscriptions", backend.setup["bank"], body
            )
            if status != 201:
                raise RuntimeError(f"subscription failed: {status} {answer}")
        client.conn.close()


def _server(backend: Backend, variant: str) -> Server:
    workers, threads = SERVER_SHAPES["sqlite" if backend.name == "sqlite" else "postgresql"]
    log = backend.workdir / f"serve-{variant}.log"
    command = _variant_app.command(variant)
    return Server(backend.setup["env"], workers, log_path=log, threads=threads, command=command)


def replace_map(backend: Backend, size: int) -> None:
    """Replace the stored map by a generated one of ``size`` pledged assets (0: keep it)."""
    if size == 0:
        return
    import encumbrance_map
    from sqlalchemy import text

    from ipx.db import create_db_engine

    engine = create_db_engine(backend.url)
    try:
        with engine.begin() as conn:
            for table in (
                "encumbrance_map_pages",
                "encumbrance_map_assets",
                "encumbrance_map_roots",
            ):
                conn.execute(text(f"DELETE FROM {table}"))
        started = time.perf_counter()
        encumbrance_map.load(engine, size, first_id=FIRST_GENERATED_ID)
        seconds = time.perf_counter() - started
        print(f"[{backend.name}] generated map of {size:,} assets in {seconds:.0f} s")
    finally:
        engine.dispose()


def _jobs(backend: Backend, port: int, clients: int, lifecycles: int, budget: float) -> list[Job]:
    backend.runs += 1
    made = registry.jobs(backend.setup, port, clients, lifecycles // clients, backend.runs, budget)
    return [replace(job, steps=STEPS) for job in made]


def _warm_up(backend: Backend, port: int, count: int) -> None:
    """A few registrations, one after another, so every worker has answered once."""
    job = replace(
        _jobs(backend, port, 1, count, 60)[0],
        year=2011,
        first_serial=9_000_000 + backend.runs * 100,
    )
    client = Client(port)
    made: dict = {"applications": [], "pledges": []}
    for serial in range(job.first_serial, job.first_serial + count):
        _one_lifecycle(client, job, serial, made)
    client.conn.close()


def one_run(backend: Backend, variant: str, clients: int, lifecycles: int, budget: float) -> dict:
    """One server of ``variant``: registrations/s over the clients' busy time, and its errors."""
    with _server(backend, variant) as server:
        _warm_up(backend, server.port, 8)
        before = counts(backend)
        results, wall = run_pool(
            run_lifecycles, _jobs(backend, server.port, clients, lifecycles, budget)
        )
        written, map_writes = (b - a for a, b in zip(before, counts(backend), strict=True))
    row = registry.summarise(variant, results, wall, lifecycles=False)
    _check_seam(variant, row.get("register", (0,))[0], written, map_writes)
    if variant == "shipped":
        backend.outbox_events.append((written, row["wall"]))
    return {"reg_s": row["reg_s"], "errors": row["errors"] + row["unexpected"]}


def counts(backend: Backend) -> tuple[int, int]:
    """Outbox events and stored map roots (one row per append that changed the map)."""
    from sqlalchemy import text

    from ipx.db import create_db_engine

    engine = create_db_engine(backend.url)
    try:
        with engine.connect() as conn:
            events = conn.execute(text("SELECT count(*) FROM notify_events")).scalar_one()
            roots = conn.execute(text("SELECT count(*) FROM encumbrance_map_roots")).scalar_one()
            return events, roots
    finally:
        engine.dispose()


def _check_seam(variant: str, registered: int, written: int, map_writes: int) -> None:
    """Refuse a run whose server did not do what its variant says (a patch that missed)."""
    outbox_on, map_on = variant != "no-outbox", variant != "no-map"
    if registered and ((written >= registered) != outbox_on or (map_writes > 0) != map_on):
        raise RuntimeError(
            f"variant {variant}: {registered} registrations wrote {written} outbox events "
            f"and {map_writes} map roots"
        )


def compare(
    backend: Backend,
    sizes: list[int],
    variants: tuple[str, ...],
    rounds: int,
    clients: int,
    lifecycles: int,
    budget: float = 120,
) -> list[dict]:
    """Rows (variant, backend, map size, median reg/s, ratio, runs) over interleaved rounds."""
    rows = []
    for index, size in enumerate(sizes):
        replace_map(backend, size)
        here = tuple(v for v in variants if index == 0 or v != "no-outbox")
        rates: dict[str, list[float]] = {v: [] for v in here}
        errors = 0
        for round_no in range(rounds):
            shift = round_no % len(here)
            for variant in here[shift:] + here[:shift]:
                run = one_run(backend, variant, clients, lifecycles, budget)
                rates[variant].append(run["reg_s"])
                errors += run["errors"]
        base = statistics.median(rates["shipped"])
        for variant in here:
            median = statistics.median(rates[variant])
            paired = [v / b for v, b in zip(rates[variant], rates["shipped"], strict=True)]
            rows.append(
                {
                    "variant": variant,
                    "backend": backend.name,
                    "size": size,
                    "reg_s": median,
                    "ratio": median / base,
                    "paired": statistics.median(paired),
                    "runs": rates[variant],
                    "errors": errors,
                }
            )
    return rows


def print_rows(rows: list[dict]) -> None:
    """The table. ratio: the variant's median over shipped's; paired: the median of the
    per-round ratios (each round's runs are neighbours in time, so drift cancels best there);
    cost %: what the seam costs a shipped registration, 1 - 1 / paired."""
    print(
        f"\n{'variant':<11}{'backend':<9}{'map size':>10}{'reg/s':>8}{'ratio':>7}{'paired':>8}"
        f"{'cost %':>8}  runs (reg/s)                 errors"
    )
    for row in rows:
        cost = "" if row["variant"] == "shipped" else f"{100 * (1 - 1 / row['paired']):.1f}"
        size = "seeded" if row["size"] == 0 else f"{row['size']:,}"
        runs = " ".join(f"{r:.1f}" for r in row["runs"])
        print(
            f"{row['variant']:<11}{row['backend']:<9}{size:>10}{row['reg_s']:>8.1f}"
            f"{row['ratio']:>7.2f}{row['paired']:>8.2f}{cost:>8}  {runs:<29} {row['errors']}"
        )
    sys.stdout.flush()


def outbox_rate(backend: Backend) -> str:
    """Events written to the outbox per second in the shipped runs (rows counted)."""
    written = sum(n for n, _ in backend.outbox_events)
    seconds = sum(s for _, s in backend.outbox_events)
    return f"[{backend.name}] outbox events written/s (shipped runs): {written / seconds:.1f}"


def run(args, variants: tuple[str, ...] = _variant_app.VARIANTS) -> list[Backend]:
    """Every backend asked for; print the table; the backends (already dropped)."""
    from tests.notify_helpers import Receiver

    receiver = Receiver().start()
    done, rows = [], []
    try:
        for name in args.backends:
            backend = open_backend(name, receiver.url, args.tree)
            try:
                rows += compare(
                    backend, args.map_sizes, variants, args.rounds, args.clients, args.lifecycles
                )
            finally:
                backend.drop()
            done.append(backend)
    finally:
        receiver.stop()
    print(
        f"\nRegistrations over HTTP (asset + application + register), {args.clients} client "
        f"processes, {args.lifecycles}/run, median of {args.rounds} interleaved rounds"
    )
    print_rows(rows)
    for backend in done:
        print(outbox_rate(backend))
    return done


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "pg"], choices=["sqlite", "pg"])
    parser.add_argument("--map-sizes", type=int, nargs="+", default=[0, 10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lifecycles", type=int, default=120, help="registrations per run")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument(
        "--tree", type=Path, default=None, help="serve the ipx of this checkout (e.g. an export)"
    )
    parser.add_argument(
        "--variants", nargs="+", default=list(_variant_app.VARIANTS), choices=_variant_app.VARIANTS
    )
    parser.add_argument("--quick", action="store_true", help="SQLite, sizes 0 and 10,000, 2x60")
    parser.add_argument(
        "--no-delivery",
        action="store_true",
        help="no notification worker beside the SQLite server: the outbox's write alone",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.backends, args.map_sizes, args.rounds, args.lifecycles = ["sqlite"], [0, 10_000], 2, 60
    return args


if __name__ == "__main__":
    arguments = parse_args()
    NO_DELIVERY = arguments.no_delivery
    run(arguments, tuple(arguments.variants))
