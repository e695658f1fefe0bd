"""Ledger benchmark against the real database: appends, proofs and the audit, each with a baseline.

    python bench/ledger.py [--sizes 10000 100000 1000000] [--samples 200] [--backends sqlite pg]
                           [--map] [--tiles] [--tile-reads 2000] [--certificate] [--all]
    python bench/ledger.py --quick

Per backend (SQLite, the embedded default, and PostgreSQL when reachable) in a scratch database:
- append throughput through ``ipx.ledger.append`` (one event per transaction, and batches of
  100), next to a baseline that writes the entries alone (no subtree nodes);
- inclusion and consistency proof latency from the DB-backed store (``ipx.ledger.store``) at
  each size, next to the naive baseline: read every leaf hash and recompute the proof;
- the audit of ``ipx verify`` (``ipx.ledger.audit.audit_log``: every leaf re-parsed and
  re-hashed, every node compared, every checkpoint checked), next to a naive baseline that only
  re-hashes every leaf and recomputes each checkpoint's root from scratch.
- with ``--map``, the map of encumbrances (``bench/encumbrance_map.py``): update cost per event
  at each size next to an append without it, proof size and offline verification time;
- with ``--tiles``, tile reads per second over HTTP next to a raw file read of the same bytes
  (``bench/tiles.py``, SQLite, ``--tile-reads`` reads at each size);
- with ``--certificate``, the search certificate as ``GET /api/v1/public/encumbrances?number=
  ...&proof=1`` returns it over HTTP on a generated map of each size (SQLite): the answer's
  bytes with the checkpoint note, the request time, and its offline verification time
  (``ipx.ledger.verify.verify_certificate``), half the numbers pledged, half absent.
``--all`` is all three; ``--quick`` is every part on SQLite at 10,000 with 50 samples.
What issue 12 asks of the write path over HTTP (registrations/s with the map on and off) is
``bench/write_path.py``.
Leaves for the large sizes are GENERATED (realistic canonical leaves, bulk-loaded with their
nodes); two checkpoints are signed per size. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from sqlalchemy import create_engine, insert, text, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import ipx.models  # noqa: E402, F401
from ipx.db import begin_write, create_db_engine  # noqa: E402
from ipx.ledger import merkle, store  # noqa: E402
from ipx.ledger.audit import audit_log  # noqa: E402
from ipx.ledger.checkpoints import LogSigner, sign_current_tree  # noqa: E402
from ipx.ledger.disclosure import derive_blinding_key  # noqa: E402
from ipx.ledger.events import Event, leaf_bytes  # noqa: E402
from ipx.ledger.log import append  # noqa: E402
from ipx.ledger.tables import LedgerEntry, LedgerHead  # noqa: E402
from ipx.migrate import upgrade  # noqa: E402

BLINDING_KEY = derive_blinding_key(bytes(32))  # what the bench's entries are blinded with

PG_ADMIN = os.environ.get(
    "IPX_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
SIGNER = LogSigner("bench.ipx.example/log", "bench.ipx.example", Ed25519PrivateKey.generate())
ROWS: list[tuple] = []


def event(i: int) -> Event:
    return Event(
        "party.registered",
        refs={"party": i},
        data={"kind": "organization"},
        digests={f"state:party:{i}": f"{i:064x}"},
    )


# --- databases ---------------------------------------------------------------------------------


def sqlite_database():
    path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)


def pg_database():
    name = f"ipx_bench_{os.getpid()}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - unreachable means "skip PostgreSQL"
        print(f"PostgreSQL unreachable, skipped: {exc.__class__.__name__}")
        return None, None

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", drop


def reset(engine) -> None:
    with engine.begin() as conn:
        tables = ("ledger_checkpoints", "ledger_nodes", "ledger_refs", "ledger_entries")
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)}"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(update(LedgerHead).values(size=0, last_time=None, frontier=None))


# --- appends -----------------------------------------------------------------------------------


def bench_appends(engine, label: str, transactions: int, per_tx: int, baseline: bool) -> float:
    reset(engine)
    started = time.perf_counter()
    for t in range(transactions):
        with Session(engine) as session:
            begin_write(session)
            events = [event(t * per_tx + i) for i in range(per_tx)]
            if baseline:
                _append_entries_only(session, events)
            else:
                append(session, events, actor="bench", now=T0, blinding_key=BLINDING_KEY)
            session.commit()
    rate = transactions * per_tx / (time.perf_counter() - started)
    ROWS.append((label, "append", f"{per_tx}/tx", f"{rate:,.0f} events/s", "", ""))
    return rate


def _append_entries_only(session: Session, events: list[Event]) -> None:
    size = session.execute(
        text("SELECT size FROM ledger_head WHERE id = 1 FOR UPDATE")
        if session.bind.dialect.name == "postgresql"
        else text("SELECT size FROM ledger_head WHERE id = 1")
    ).scalar()
    rows = []
    for i, e in enumerate(events):
        leaf = leaf_bytes(e, seq=size + i, time=T0, actor="bench")
        rows.append(
            {
                "seq": size + i,
                "time": T0,
                "type": e.type,
                "leaf": leaf.decode(),
                "leaf_hash": merkle.leaf_hash(leaf),
            }
        )
    session.execute(insert(LedgerEntry), rows)
    session.execute(update(LedgerHead).values(size=size + len(events)))


def append_table(engine, label: str) -> None:
    for per_tx, transactions in ((1, 2000), (100, 200)):
        ours = bench_appends(engine, label, transactions, per_tx, baseline=False)
        base = bench_appends(engine, label, transactions, per_tx, baseline=True)
        ROWS[-2] = ROWS[-2][:4] + (f"{base:,.0f} events/s", f"entries only: x{base / ours:.1f}")
        ROWS.pop()


# --- bulk load (generated leaves) ----------------------------------------------------------------


def _sqlite_time(moment: datetime) -> str:
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def bulk_load(engine, tree: merkle.MemoryTree, target: int) -> None:
    """Generate leaves ``tree.size .. target - 1`` and write them with their subtree nodes."""
    entries, nodes = [], []
    for i in range(tree.size, target):
        moment = T0 + timedelta(microseconds=i)
        leaf = leaf_bytes(event(i), seq=i, time=moment, actor="bench")
        hashed = merkle.leaf_hash(leaf)
        for level, position, value in merkle.new_nodes_for_append(i, hashed, tree.get_node):
            if level:
                nodes.append((level, position, value))
        tree.append_hash(hashed)
        entries.append((i, moment, "party.registered", leaf.decode(), hashed))
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            _copy_pg(raw.driver_connection, entries, nodes)
        else:
            _insert_sqlite(raw.driver_connection, entries, nodes)
        raw.commit()
    finally:
        raw.close()
    frontier = b"".join(tree.get_node(lv, pos) for lv, pos in store.frontier_keys(target))
    with engine.begin() as conn:
        conn.execute(
            update(LedgerHead).values(size=target, last_time=entries[-1][1], frontier=frontier)
        )


def _copy_pg(conn, entries, nodes) -> None:
    with conn.cursor() as cur:
        with cur.copy("COPY ledger_entries (seq, time, type, leaf, leaf_hash) FROM STDIN") as copy:
            for row in entries:
                copy.write_row(row)
        with cur.copy("COPY ledger_nodes (level, position, hash) FROM STDIN") as copy:
            for row in nodes:
                copy.write_row(row)


def _insert_sqlite(conn, entries, nodes) -> None:
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO ledger_entries (seq, time, type, leaf, leaf_hash) VALUES (?, ?, ?, ?, ?)",
        ((s, _sqlite_time(t), ty, lf, h) for s, t, ty, lf, h in entries),
    )
    conn.executemany("INSERT INTO ledger_nodes (level, position, hash) VALUES (?, ?, ?)", nodes)


def sign_checkpoint(engine) -> None:
    with Session(engine) as session:
        begin_write(session)
        sign_current_tree(session, SIGNER, T0)
        session.commit()


# --- proofs and audit --------------------------------------------------------------------------


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{statistics.median(ordered) * 1000:.2f} ms (p99 {p99 * 1000:.2f})"


def _timed(fn, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def _naive_levels(session: Session, n: int) -> list[list[bytes]]:
    hashes = [
        bytes(h)
        for h in session.execute(
            text("SELECT leaf_hash FROM ledger_entries WHERE seq < :n ORDER BY seq"), {"n": n}
        ).scalars()
    ]
    levels = [hashes]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append(
            [merkle.node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        )
    return levels


def _naive(session: Session, n: int, proof):
    levels = _naive_levels(session, n)
    return proof(lambda level, position: levels[level][position])


def proof_rows(engine, label: str, tree: merkle.MemoryTree, samples: int) -> None:
    n = tree.size
    rng = random.Random(n)
    naive_samples = max(3, min(20, 200_000 // n))
    root = tree.root()
    with Session(engine) as session:
        index = [rng.randrange(n) for _ in range(samples)]
        assert merkle.verify_inclusion(
            tree.get_node(0, index[0]),
            index[0],
            n,
            store.inclusion_proof(session, index[0], n),
            root,
        )
        it = iter(index * 2)
        ours = _timed(lambda: store.inclusion_proof(session, next(it), n), samples)
        naive = _timed(
            lambda: _naive(session, n, lambda g: merkle.inclusion_proof(rng.randrange(n), n, g)),
            naive_samples,
        )
        ROWS.append(
            (label, "inclusion proof", f"{n:,}", _ms(ours), _ms(naive), "naive: all leaf hashes")
        )
        firsts = iter([rng.randrange(1, n) for _ in range(samples)])
        ours = _timed(lambda: store.consistency_proof(session, next(firsts), n), samples)
        naive = _timed(
            lambda: _naive(
                session, n, lambda g: merkle.consistency_proof(rng.randrange(1, n), n, g)
            ),
            naive_samples,
        )
        ROWS.append(
            (label, "consistency proof", f"{n:,}", _ms(ours), _ms(naive), "naive: all leaf hashes")
        )


def audit_row(engine, label: str, n: int) -> None:
    with Session(engine) as session:
        started = time.perf_counter()
        report = audit_log(
            session, SIGNER.public_key, key_name=SIGNER.key_name, origin=SIGNER.origin
        )
        ours = time.perf_counter() - started
        assert report.ok, report.problems[:3]
        started = time.perf_counter()
        leaves = session.execute(text("SELECT leaf FROM ledger_entries ORDER BY seq")).scalars()
        hashes = [merkle.leaf_hash(leaf.encode()) for leaf in leaves]
        sizes = session.execute(text("SELECT tree_size FROM ledger_checkpoints")).scalars().all()
        for size in sizes:
            merkle.root_from_leaf_hashes(hashes[:size])
        naive = time.perf_counter() - started
    ROWS.append(
        (
            label,
            "audit (ipx verify)",
            f"{n:,}",
            f"{ours:.2f} s",
            f"{naive:.2f} s",
            f"naive: rehash + {len(sizes)} roots from scratch",
        )
    )


# --- what the public sees: tiles and search certificates over HTTP --------------------------------


def tile_row(size: int, reads: int) -> None:
    """Tile reads/s over HTTP next to a raw file read of the same bytes (``bench/tiles.py``)."""
    import tiles

    got = tiles.measure(size, reads)
    ROWS.append(
        (
            "SQLite",
            "tile read over HTTP",
            f"{size:,}",
            f"{got['http']:,.0f} tiles/s",
            f"file: {got['file']:,.0f} tiles/s",
            f"{got['reads']} reads of 8,192-byte tiles, one keep-alive connection",
        )
    )


def certificate_rows(size: int, samples: int) -> None:
    """The search certificate as ``GET /public/encumbrances?number=...&proof=1`` answers it
    over HTTP, on a generated map of ``size`` pledged assets: the answer's bytes (the
    certificate with its checkpoint note, and the empty items list of an unregistered number),
    the request's time, and the offline check (``ipx.ledger.verify.verify_certificate``)."""
    import json
    from urllib.parse import quote

    import encumbrance_map
    import tiles

    from ipx.ledger.verify import verify_certificate

    app = tiles.sqlite_app(Path(tempfile.mkdtemp()))
    engine = _app_engine(app)
    bulk_load(engine, merkle.MemoryTree(), 1024)  # a log for the checkpoint to sign
    with engine.begin() as conn:
        for table in ("encumbrance_map_pages", "encumbrance_map_assets", "encumbrance_map_roots"):
            conn.execute(text(f"DELETE FROM {table}"))
    encumbrance_map.load(engine, size)
    served = tiles.Served(app)
    rng = random.Random(size)
    answers, certificates, requests, checks = [], [], [], []
    try:
        key = json.loads(served.get("/api/v1/ledger/public-key"))["public_key"]
        for n in range(samples):
            number = encumbrance_map.number(rng.randint(1, size)) if n % 2 else f"2099{n:08d}.X"
            started = time.perf_counter()
            body = served.get(f"/api/v1/public/encumbrances?number={quote(number)}&proof=1")
            requests.append(time.perf_counter() - started)
            document = json.loads(body)
            started = time.perf_counter()
            found, _ = verify_certificate(document, key)
            checks.append(time.perf_counter() - started)
            if n % 2 and len(found.pledges) != 1:
                raise RuntimeError(f"{number}: the certificate shows {found.pledges}")
            answers.append(len(body))
            certificates.append(len(json.dumps(document["certificate"], separators=(",", ":"))))
    finally:
        served.stop()
        engine.dispose()
    ROWS.append(
        (
            "SQLite",
            "search certificate (HTTP)",
            f"{size:,}",
            f"{statistics.median(answers):.0f} bytes answer",
            f"{statistics.median(certificates):.0f} bytes certificate (max {max(certificates)})",
            f"GET {_ms(requests)}",
        )
    )
    ROWS.append(
        ("SQLite", "certificate verify (offline)", f"{size:,}", _ms(checks), "", "half absent")
    )


def _app_engine(app):
    from ipx.db_ext import database

    return database(app).engine


# --- driver ------------------------------------------------------------------------------------


def run_backend(label: str, url: str, sizes: list[int], samples: int) -> None:
    engine = create_db_engine(url)
    upgrade(engine)
    append_table(engine, label)
    reset(engine)
    tree = merkle.MemoryTree()
    for n in sizes:
        started = time.perf_counter()
        bulk_load(engine, tree, n)
        sign_checkpoint(engine)
        print(
            f"[{label}] generated and loaded {n:,} leaves in {time.perf_counter() - started:.1f} s"
        )
        proof_rows(engine, label, tree, samples)
        audit_row(engine, label, n)
    engine.dispose()


def print_table() -> None:
    header = ("backend", "measure", "size", "ours", "baseline", "note")
    widths = [max(len(str(r[i])) for r in [header, *ROWS]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *ROWS]:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "pg"])
    parser.add_argument(
        "--map", action="store_true", help="also the map of encumbrances (bench/encumbrance_map.py)"
    )
    parser.add_argument("--tiles", action="store_true", help="also tile reads over HTTP")
    parser.add_argument("--tile-reads", type=int, default=2000)
    parser.add_argument(
        "--certificate", action="store_true", help="also the search certificate over HTTP"
    )
    parser.add_argument("--all", action="store_true", help="--map --tiles --certificate")
    parser.add_argument(
        "--quick", action="store_true", help="SQLite, 10,000, 50 samples, every part"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.samples, args.backends, args.tile_reads = [10_000], 50, ["sqlite"], 500
    if args.quick or args.all:
        args.map = args.tiles = args.certificate = True
    return args


def main() -> None:
    args = parse_args()
    print(
        "Leaves at the listed sizes are generated (bulk-loaded with their nodes), not real events."
    )
    for backend in args.backends:
        url, cleanup = sqlite_database() if backend == "sqlite" else pg_database()
        if url is None:
            continue
        try:
            run_backend(
                "SQLite" if backend == "sqlite" else "PostgreSQL",
                url,
                sorted(args.sizes),
                args.samples,
            )
        finally:
            cleanup()
    for size in sorted(args.sizes) if args.tiles else []:
        tile_row(size, args.tile_reads)
    for size in sorted(args.sizes) if args.certificate else []:
        certificate_rows(size, args.samples)
    print_table()
    if args.map:  # map update per event, proof size, verification (a table of its own)
        import encumbrance_map

        encumbrance_map.run(args.backends, args.sizes, args.samples)


if __name__ == "__main__":
    main()
