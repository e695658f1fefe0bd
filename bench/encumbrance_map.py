"""Map-of-encumbrances benchmark: update cost per event, proof size, verification time.

    python bench/encumbrance_map.py [--sizes 10000 100000 1000000] [--samples 300]
                                    [--backends sqlite pg]

Per backend and size, in a scratch database whose map is GENERATED (``size`` assets, each with
a registered pledge, bulk-loaded as the pages ``ipx.ledger.smt_pages`` would store):
- the map update per event: ``encumbrance_map.apply`` of one ``pledge.registered`` (then its
  ``pledge.cancelled``) in a committed transaction, on its own (its read and a write statement
  of its own), median and p95, target under 1 ms; beside it, as the baseline, a ``SELECT 1``
  run the same way in the same transactions (the update costs at least its two round trips);
- ``ipx.ledger.log.append`` of that event, one per transaction, with the map and, as the
  baseline, with the map switched off, the two interleaved (events/s, and what the map adds
  to an append in ms: on PostgreSQL its writes ride in the log's own write statement);
- the public proof: read time, the number of sibling hashes, the certificate's size in bytes
  (state + proof + roots, without the checkpoint note) and the offline verification time
  (``encumbrances.check_certificate``).
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import ipx.models  # noqa: E402, F401
from ipx.db import begin_write, create_db_engine  # noqa: E402
from ipx.ledger import encumbrance_map, encumbrances, log, smt, smt_pages  # noqa: E402
from ipx.ledger.disclosure import derive_blinding_key  # noqa: E402
from ipx.ledger.encumbrances import PUBLIC, MapEvent, key_of, map_root  # noqa: E402
from ipx.ledger.events import Event  # noqa: E402
from ipx.migrate import upgrade  # noqa: E402

BLINDING_KEY = derive_blinding_key(bytes(32))
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ROWS: list[tuple] = []


def number(i: int) -> str:
    return f"2023{i:08d}.X"


def registration(i: int) -> str:
    return f"IPX-P-2026-{i:06d}"


# --- bulk load: the nodes smt.update would store, built in one pass over the sorted keys --------


def bulk_nodes(items: list[tuple[bytes, bytes]]) -> dict[bytes, smt.Node]:
    """The canonical tree of ``items`` (sorted by key) as ``{path: node}``."""
    keys = [key for key, _ in items]
    nodes: dict[bytes, smt.Node] = {}

    def build(lo: int, hi: int, depth: int) -> bytes:
        if hi - lo == 1:
            key, value = items[lo]
            node = smt.Node(smt.leaf_hash(key, smt.value_hash(value)), key, value)
            nodes[smt.path_of(key, depth)] = node
            return node.hash
        # first key in [lo, hi) whose bit ``depth`` is 1 (they share the first ``depth`` bits)
        pivot = bytearray(smt.path_of(keys[lo], depth)[2:].ljust(32, b"\0"))
        pivot[depth >> 3] |= 0x80 >> (depth & 7)
        mid = bisect.bisect_left(keys, bytes(pivot), lo, hi)
        left = build(lo, mid, depth + 1) if mid > lo else smt.EMPTY
        right = build(mid, hi, depth + 1) if hi > mid else smt.EMPTY
        hashed = smt.node_hash(left, right)
        nodes[smt.path_of(keys[lo], depth)] = smt.Node(hashed)
        return hashed

    if items:
        build(0, len(items), 0)
    return nodes


def load(engine, size: int, first_id: int = 1) -> bytes:
    """Fill the map with ``size`` pledged assets (ids ``first_id``.. on); return the public root.

    ``first_id`` keeps the generated asset ids clear of a database's real ones
    (``bench/write_path.py`` loads a map into a seeded instance)."""
    items = sorted(
        (
            key_of(number(i)),
            encumbrances.encode(
                PUBLIC, {"pledges": [{"id": i, "registration_number": registration(i)}]}, ""
            ),
        )
        for i in range(1, size + 1)
    )
    nodes = bulk_nodes(items)  # type: ignore[arg-type]
    if size <= 2000:
        assert nodes == smt.build(items).nodes  # type: ignore[arg-type]
    rows = [(0, page, data) for page, data in smt_pages.paginate(nodes.items()).items()]
    assets = [(first_id + i - 1, key_of(number(i))) for i in range(1, size + 1)]
    tree = smt.MemoryStore()
    tree.nodes = nodes
    root = smt.root(tree)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            with raw.cursor() as cursor:
                copy = "COPY encumbrance_map_pages (tree, path, nodes) FROM STDIN"
                with cursor.copy(copy) as writer:
                    for row in rows:
                        writer.write_row(row)
                with cursor.copy("COPY encumbrance_map_assets (asset_id, key) FROM STDIN") as w:
                    for asset in assets:
                        w.write_row(asset)
        else:
            conn.exec_driver_sql(
                "INSERT INTO encumbrance_map_pages (tree, path, nodes) VALUES (?, ?, ?)", rows
            )
            conn.exec_driver_sql(
                "INSERT INTO encumbrance_map_assets (asset_id, key) VALUES (?, ?)", assets
            )
        conn.execute(
            text("INSERT INTO encumbrance_map_roots VALUES (0, :p, :r)"),
            {"p": root, "r": smt.EMPTY},
        )
    return root


# --- measurements -------------------------------------------------------------------------------


def _events(asset: int, pledge: int) -> tuple[MapEvent, MapEvent]:
    refs = {"pledge": pledge, "assets": [asset], "parties": [1, 2]}
    reg = {"registration_number": registration(pledge)}
    return (
        MapEvent("pledge.registered", refs, reg, {}, f"sealed-r-{pledge}"),
        MapEvent("pledge.cancelled", refs, {"status": "cancelled"}, {}, f"sealed-c-{pledge}"),
    )


def map_updates(engine, label: str, size: int, samples: int) -> None:
    """``encumbrance_map.apply`` on its own (its read, then its write as a statement of its
    own), one event per transaction, committed as the service commits (psycopg prepares a
    statement only on a connection that has not rolled back since, so a bench that rolled
    each sample back would time the parse and plan of every statement every time). Each
    pledge is registered, then cancelled, on a random asset: the map returns to its load."""
    rng = random.Random(size)
    timings: list[float] = []
    trips: list[float] = []  # the baseline: one trivial statement in the same transaction
    size_at = 10 * size  # roots rows of log sizes no other measurement uses
    for n in range(samples):
        asset, pledge = rng.randint(1, size), 100 * size + n
        for event in _events(asset, pledge):
            size_at += 1
            with Session(engine) as session:
                begin_write(session)
                log.lock_head(session)  # as every append does first (on PostgreSQL with its
                # planner setting: see ``ipx.ledger.log``)
                connection = session.connection()
                started = time.perf_counter()
                encumbrance_map._execute(connection, "SELECT 1", ())
                trips.append(time.perf_counter() - started)
                started = time.perf_counter()
                encumbrance_map.apply(session, [event], size_at)
                timings.append(time.perf_counter() - started)
                session.commit()
    with engine.begin() as conn:  # the later measurements read the roots of the log's own sizes
        conn.execute(
            text("DELETE FROM encumbrance_map_roots WHERE tree_size > :s"), {"s": 10 * size}
        )
    statement = statistics.median(trips)
    ROWS.append(
        (
            label,
            f"{size:,}",
            "map update/event",
            _ms(timings),
            f"SELECT 1: {_ms(trips)}",
            f"{statistics.median(timings) / statement:.1f} x SELECT 1; target < 1 ms",
        )
    )


def appends(engine, label: str, size: int, samples: int) -> None:
    """Appends with and without the map, interleaved one transaction each (so that a change
    of the machine's load during the run weighs on both alike)."""
    rng = random.Random(size + 1)
    original = encumbrance_map.plan_appended
    mapping = [True]

    def switched(*args, **kwargs):
        return original(*args, **kwargs) if mapping[0] else None

    spent = {True: 0.0, False: 0.0}
    log.encumbrance_map.plan_appended = switched
    try:
        for n in range(2 * samples):
            mapping[0] = with_map = (n // 2 + n) % 2 == 0  # on, off, off, on, on, off, ...
            refs = {"pledge": 10 * size + n, "assets": [rng.randint(1, size)], "parties": [1, 2]}
            event = Event("pledge.registered", refs, {"registration_number": "IPX-P-X"})
            started = time.perf_counter()
            with Session(engine) as session:
                begin_write(session)
                log.append(session, [event], actor="b", now=T0, blinding_key=BLINDING_KEY)
                session.commit()
            spent[with_map] += time.perf_counter() - started
    finally:
        log.encumbrance_map.plan_appended = original
    ours, base = samples / spent[True], samples / spent[False]
    ROWS.append(
        (
            label,
            f"{size:,}",
            "append pledge.registered",
            f"{ours:,.0f}/s",
            f"map off: {base:,.0f}/s",
            f"{100 * (base - ours) / base:.0f} % slower, {1000 * (1 / ours - 1 / base):+.2f} ms",
        )
    )


def proofs(engine, label: str, size: int, samples: int) -> None:
    rng = random.Random(size + 2)
    reads, checks, siblings, sizes = [], [], [], []
    with Session(engine) as session:
        public, restricted = encumbrance_map.roots_at(session, 10**12)
        committed = map_root(public, restricted)
        for n in range(samples):
            present = n % 2 == 0
            asset = number(rng.randint(1, size)) if present else f"ABSENT-{n}"
            started = time.perf_counter()
            state, proof = encumbrance_map.prove(session, asset)
            reads.append(time.perf_counter() - started)
            certificate = {
                "number": asset,
                "state": {"pledges": state["pledges"]},
                "proof": proof.to_json(),
                "restricted_root": smt._b64(restricted),
            }
            started = time.perf_counter()
            encumbrances.check_certificate(certificate, 1, committed)
            checks.append(time.perf_counter() - started)
            siblings.append(len(proof.siblings))
            sizes.append(len(json.dumps(certificate, separators=(",", ":"))))
    ROWS.append((label, f"{size:,}", "proof read", _ms(reads), "", ""))
    ROWS.append(
        (
            label,
            f"{size:,}",
            "certificate",
            f"{statistics.median(sizes):.0f} bytes",
            f"{statistics.median(siblings):.0f} siblings (max {max(siblings)})",
            f"verify {_ms(checks)}",
        )
    )


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"{1000 * statistics.median(ordered):.3f} ms (p95 {1000 * p95:.3f})"


# --- driver -------------------------------------------------------------------------------------


def ledger_reset(engine) -> None:
    import ledger as ledger_bench

    ledger_bench.reset(engine)


def run_backend(label: str, url: str, sizes: list[int], samples: int) -> None:
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        for size in sizes:
            with engine.begin() as conn:
                for table in ("encumbrance_map_pages", "encumbrance_map_assets"):
                    conn.execute(text(f"DELETE FROM {table}"))
                conn.execute(text("DELETE FROM encumbrance_map_roots"))
            ledger_reset(engine)
            started = time.perf_counter()
            load(engine, size)
            print(f"{label}: loaded {size:,} assets in {time.perf_counter() - started:.1f} s")
            map_updates(engine, label, size, samples)
            appends(engine, label, size, samples)
            proofs(engine, label, size, samples)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "pg"])
    args = parser.parse_args()
    run(args.backends, args.sizes, args.samples)


def run(backends: list[str], sizes: list[int], samples: int) -> None:
    """Every measurement on each backend and size; print the table (``bench/ledger.py --map``)."""
    import ledger as ledger_bench  # bench/ledger.py: its scratch databases

    for backend in backends:
        url, drop = (
            ledger_bench.sqlite_database() if backend == "sqlite" else ledger_bench.pg_database()
        )
        if url is None:
            continue
        try:
            run_backend(backend, url, sorted(sizes), samples)
        finally:
            drop()
    width = [max(len(str(row[i])) for row in ROWS) for i in range(6)]
    for row in ROWS:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, width, strict=True)))


if __name__ == "__main__":
    main()
