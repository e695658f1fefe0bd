"""The public query's bench: bulk assets, pledges, then GETs next to the same SQL, raw.

Used by ``bench/registry.py`` (its last phase, PostgreSQL) and ``bench/public_query.py`` (both
backends). The raw baseline runs the statement the service runs (``ipx.registry.services.
queries``), plus a read of the log's head for the checkpoint, over the plain driver (psycopg or
sqlite3): what is left between the two is HTTP, Flask, the runner, the ORM and the JSON.
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import UTC, date, datetime

import psycopg

from bench._clients import (
    Client,
    application_body,
    busy_seconds,
    percentile,
    run_pool,
    run_queries,
)

RAW_SQL = """
SELECT p.registration_number, a.number, a.kind, a.title, a.ipc, pr.name, pe.name,
       p.registered_at, p.status, p.closed_at, p.closing_reason
FROM pledges p
JOIN pledge_assets pa ON pa.pledge_id = p.id
JOIN assets a ON a.id = pa.asset_id
JOIN parties pr ON pr.id = p.pledgor_id
JOIN parties pe ON pe.id = p.pledgee_id
WHERE {where}
ORDER BY p.registered_at DESC, p.id DESC, a.id
LIMIT 200
"""
# The pledgor's name matches on any part, in any case, as the service's (SQLAlchemy's ilike:
# ILIKE on PostgreSQL, lower() LIKE lower() on SQLite); a credit code matches whole.
BY_PLEDGOR = {
    "postgresql": "(pr.name ILIKE %s ESCAPE '\\' OR pr.credit_code = %s)",
    "sqlite": "(lower(pr.name) LIKE lower(%s) ESCAPE '\\' OR pr.credit_code = %s)",
}
HEAD = "SELECT size FROM ledger_head WHERE id = 1"


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def connect(url: str, **options):
    """A plain driver connection (psycopg or sqlite3) to the service's database."""
    if backend_of(url) == "sqlite":
        return sqlite3.connect(url.removeprefix("sqlite:///"), **options)
    return psycopg.connect(_dsn(url), **options)


def rows(conn, sql: str, params: tuple = ()) -> list[tuple]:
    """``sql`` written for psycopg (``%s``, ``%%``), on either driver."""
    if isinstance(conn, sqlite3.Connection):
        sql = sql.replace("%s", "?").replace("%%", "%")
    return conn.execute(sql, params).fetchall()


def name_pattern(text: str) -> str:
    """The service's LIKE pattern for a pledgor's name (``queries._name_pattern``): any part
    of at least 2 characters; the user's wildcards are literal."""
    literal = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{literal}%" if len(text) >= 2 else literal


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg", "postgresql")


def bulk_load(url: str, count: int) -> tuple[int, float]:
    """Generated invention patents (``synthetic_assets``, titles marked synthetic), in bulk.

    The same records ``ipx seed --synthetic`` adds, without their ledger events: a loader for
    the read benchmark only (COPY on PostgreSQL, one executemany on SQLite). Returns (assets
    added, seconds).
    """
    start = time.perf_counter()
    if backend_of(url) == "sqlite":
        added = _bulk_load_sqlite(url, count)
    else:
        added = _bulk_load_pg(url, count)
    return added, time.perf_counter() - start


def _generated(conn, count: int):
    """(asset row, holder party id) of each generated asset not in the database yet."""
    from ipx.registry.samples import synthetic_assets
    from ipx.registry.terms import protection_expiry

    ids = dict(rows(conn, "SELECT sample_key, id FROM parties WHERE sample_key IS NOT NULL"))
    have = {r[0] for r in rows(conn, "SELECT number FROM assets")}
    for a in synthetic_assets(count, 7):
        if a["number"] in have:
            continue
        filed = date.fromisoformat(a["filing_date"])
        yield (
            {
                "number": a["number"],
                "title": a["title"],
                "filing_date": filed,
                "grant_date": date.fromisoformat(a["grant_date"]),
                "expiry_date": protection_expiry("invention", filed),
                "fees_paid_until": date.fromisoformat(a["fees_paid_until"]),
                "ipc": a["ipc"],
                "features": a["features"],
            },
            ids[a["holder_keys"][0]],
        )


def _bulk_load_pg(url: str, count: int) -> int:
    with connect(url) as conn:
        now = datetime.now(UTC)
        conn.execute(
            "CREATE TEMP TABLE bulk (number text, title text, filing date, grant_date date, "
            "expiry date, fees date, ipc text, features json, holder int) ON COMMIT DROP"
        )
        added, generated = 0, list(_generated(conn, count))
        with conn.cursor().copy("COPY bulk FROM STDIN") as copy:
            for a, holder in generated:
                copy.write_row(
                    (
                        a["number"],
                        a["title"],
                        a["filing_date"],
                        a["grant_date"],
                        a["expiry_date"],
                        a["fees_paid_until"],
                        a["ipc"],
                        _json(a["features"]),
                        holder,
                    )
                )
                added += 1
        conn.execute(
            "INSERT INTO assets (kind, number, title, filing_date, grant_date, expiry_date, "
            "status, fees_paid_until, ipc, features, frozen, invalidation_pending, created_at, "
            "updated_at) SELECT 'invention', number, title, filing, grant_date, expiry, "
            "'granted', fees, ipc, features, false, false, %s, %s FROM bulk",
            (now, now),
        )
        conn.execute(
            "INSERT INTO asset_holders (asset_id, party_id) SELECT a.id, b.holder FROM bulk b "
            "JOIN assets a ON a.kind = 'invention' AND a.number = b.number"
        )
        conn.commit()
        conn.execute("ANALYZE")
    return added


def _bulk_load_sqlite(url: str, count: int) -> int:
    """Through SQLAlchemy Core with the service's own tables, so every column is stored in
    the form the ORM reads back (dates, UTC times, JSON)."""
    from sqlalchemy import create_engine, insert, select

    from ipx.registry.orm import Asset, AssetHolder

    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        generated = list(_generated(conn.connection.driver_connection, count))
        common = {"kind": "invention", "status": "granted", "frozen": False}
        common |= {"invalidation_pending": False, "created_at": now, "updated_at": now}
        if generated:
            conn.execute(insert(Asset), [{**a, **common} for a, _ in generated])
        numbers = {a["number"]: holder for a, holder in generated}
        ids = conn.execute(select(Asset.id, Asset.number).where(Asset.kind == "invention"))
        holders = [{"asset_id": i, "party_id": numbers[n]} for i, n in ids if n in numbers]
        if holders:
            conn.execute(insert(AssetHolder), holders)
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return len(generated)


def _json(value) -> str:
    import json

    return json.dumps(value)


def pledge_some(server_port: int, setup: dict, url: str, count: int) -> list[str]:
    """Apply for and register pledges on generated assets over HTTP; cancel every third."""
    # Protected beyond the bench's debt term (two years), so examination does not refuse (R06).
    beyond: date | str = date(date.today().year + 3, 1, 1)
    with connect(url) as conn:
        if backend_of(url) == "sqlite":
            beyond = beyond.isoformat()  # as SQLite stores dates
        candidates = rows(
            conn,
            "SELECT a.id, a.number, h.party_id FROM assets a "
            "JOIN asset_holders h ON h.asset_id = a.id "
            "WHERE a.title LIKE '[合成%%' AND a.expiry_date > %s AND NOT EXISTS "
            "(SELECT 1 FROM pledge_assets pa WHERE pa.asset_id = a.id) ORDER BY a.id LIMIT %s",
            (beyond, count),
        )
    client, numbers = Client(server_port), []
    for i, (asset_id, number, holder) in enumerate(candidates):
        body = application_body(holder, setup["bank_id"], asset_id)
        status, app = client.call(
            "apply", "POST", "/api/v1/pledge-applications", setup["bank"], body
        )
        if status != 201:
            continue
        path = f"/api/v1/pledge-applications/{app['id']}/register"
        status, pledge = client.call("register", "POST", path, setup["clerk"])
        if status == 201:
            numbers.append(number)
            if i % 3 == 0:
                path = f"/api/v1/pledges/{pledge['id']}/cancel"
                client.call("cancel", "POST", path, setup["clerk"], {"reason": "repaid"})
    return numbers


#: The kinds of public query timed: by number, by whole pledgor name or credit code, by part
#: of a pledgor's name (the last two both ``?pledgor=``).
KINDS = ("number", "pledgor", "pledgor part")


def query_inputs(url: str, pledged: list[str], n: int) -> dict[str, list[tuple[str, str]]]:
    """Per kind, ``n`` (parameter, value) pairs: numbers half pledged, half not, a quarter
    spelled ``ZL...``; pledgors by whole name or credit code; pledgors by a part of the name
    (2-4 characters from anywhere in it, as someone who half remembers it types)."""
    rng = random.Random(11)
    with connect(url) as conn:
        unpledged = [
            r[0]
            for r in rows(
                conn,
                "SELECT number FROM assets WHERE title LIKE '[合成%%' ORDER BY random() LIMIT %s",
                (n,),
            )
        ]
        parties = rows(
            conn,
            "SELECT DISTINCT pr.name, pr.credit_code FROM pledges p "
            "JOIN parties pr ON pr.id = p.pledgor_id ORDER BY pr.name",
        )
    numbers = []
    for i in range(n):
        number = rng.choice(pledged) if i % 2 == 0 else rng.choice(unpledged)
        numbers.append(("number", f"ZL{number}" if i % 4 == 0 else number))
    pledgors, parts = [], []
    for i in range(n):
        name, code = rng.choice(parties)
        pledgors.append(("pledgor", code if code and i % 2 else name))
        size = rng.randint(2, min(4, len(name)))
        first = rng.randrange(len(name) - size + 1)
        parts.append(("pledgor", name[first : first + size]))
    return {"number": numbers, "pledgor": pledgors, "pledgor part": parts}


def raw_queries(args: tuple[str, list[tuple[str, str]], float]) -> dict:
    """The service's statement in plain SQL, plus the checkpoint read: seconds per answer."""
    url, inputs, deadline = args
    samples = []
    conn = raw_connection(url)
    try:
        for kind, value in inputs:
            if time.monotonic() > deadline:
                break
            start = time.perf_counter()
            raw_query(conn, backend_of(url), kind, value)
            samples.append((f"public?{kind}", time.perf_counter() - start, 200, start))
    finally:
        conn.close()
    return {"samples": samples}


def raw_connection(url: str):
    """A reader's connection: autocommit on PostgreSQL; sqlite3 reads outside transactions."""
    return connect(url, autocommit=True) if backend_of(url) == "postgresql" else connect(url)


def raw_query(conn, backend: str, kind: str, value: str) -> list[tuple]:
    """One public query as the service runs it (``?number=`` or ``?pledgor=``), raw."""
    from ipx.registry.numbers import InvalidNumber, parse_patent_number

    rows(conn, HEAD)
    if kind == "number":
        try:
            spellings = [value, parse_patent_number(value).number]
        except InvalidNumber:
            spellings = [value, value.strip().upper()]
        marks = ", ".join("%s" for _ in spellings)
        return rows(conn, RAW_SQL.format(where=f"a.number IN ({marks})"), tuple(spellings))
    text = value.strip()
    return rows(conn, RAW_SQL.format(where=BY_PLEDGOR[backend]), (name_pattern(text), text.upper()))


def bench_public(setup: dict, url: str, args, server_cls) -> tuple[list[dict], dict]:
    """Load, pledge and time every kind of query (``args``: assets, pledges, queries,
    clients, max_seconds, workers_now); print the table; return its rows and the inputs."""
    added, seconds = bulk_load(url, args.assets)
    print(
        f"\nPublic query ({backend_of(url)}): {added} GENERATED assets bulk-loaded in "
        f"{seconds:.1f} s (synthetic_assets, titles marked [合成 synthetic]; no ledger events)"
    )
    workers, threads = args.workers_now
    with server_cls(setup["env"], workers, threads=threads) as server:
        pledged = pledge_some(server.port, setup, url, args.pledges)
        inputs = query_inputs(url, pledged, args.queries)
        table = []
        for label in KINDS:
            for clients in dict.fromkeys((args.clients, 1)):
                table += _timed_pair(server.port, url, label, inputs[label], clients, args)
    with connect(url) as conn:
        n_assets = rows(conn, "SELECT count(*) FROM assets")[0][0]
        n_pledges = rows(conn, "SELECT count(*) FROM pledges")[0][0]
    print(
        f"{n_assets} assets, {n_pledges} pledges; {len(pledged)} pledged in this phase; "
        f"{args.clients} client processes; {workers} workers x {threads} threads"
    )
    print(f"{'query':<30}{'n':>7}{'q/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'5xx':>5}")
    for r in table:
        print(
            f"{r['label']:<30}{r['n']:>7}{r['qps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}"
            f"{r['errors']:>5}"
        )
    return table, inputs


def _timed_pair(port: int, url: str, label: str, inputs: list, clients: int, args) -> list[dict]:
    """The query over HTTP, then the same inputs in SQL, with ``clients`` concurrent clients.

    One client shows the service time; several show what queueing on two cores adds to it.
    """
    if clients == 1:
        inputs = inputs[: max(1, len(inputs) // 4)]
    chunks = _split(inputs, clients)
    deadline = time.monotonic() + args.max_seconds
    results, wall = run_pool(run_queries, [(port, c, deadline) for c in chunks])
    pair = [_row(f"HTTP ?{label}, {clients} cl", results, wall)]
    deadline = time.monotonic() + args.max_seconds
    results, wall = run_pool(raw_queries, [(url, c, deadline) for c in chunks])
    pair.append(_row(f"raw SQL ?{label}, {clients} cl", results, wall))
    for row in pair:
        row |= {"kind": label, "clients": clients}
    return pair


def ratios(table: list[dict]) -> list[dict]:
    """Each HTTP row against the raw row of the same kind and clients, measured beside it."""
    out = []
    for http, raw in zip(table[::2], table[1::2], strict=True):
        out.append(
            {
                "kind": http["kind"],
                "clients": http["clients"],
                "p50": http["p50"] / raw["p50"],
                "p99": http["p99"] / raw["p99"],
                "qps": raw["qps"] / http["qps"],
                "n": min(http["n"], raw["n"]),
                "errors": http["errors"] + raw["errors"],
            }
        )
    return out


def _split(items: list, parts: int) -> list[list]:
    return [items[i::parts] for i in range(parts)]


def _row(label: str, results: list[dict], _wall: float) -> dict:
    samples = [s for r in results for s in r["samples"]]
    wall = busy_seconds(samples)
    ok = [s[1] for s in samples if s[2] == 200]
    return {
        "label": label,
        "n": len(ok),
        "qps": len(ok) / wall,
        "p50": percentile(ok, 50) * 1000 if ok else 0.0,
        "p99": percentile(ok, 99) * 1000 if ok else 0.0,
        "errors": sum(1 for s in samples if s[2] >= 500),
    }
