"""The public-query part of the registry bench: bulk assets, pledges, then GETs next to raw SQL."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

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


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg", "postgresql")


def bulk_load(url: str, count: int) -> tuple[int, float]:
    """Generated invention patents (``synthetic_assets``, titles marked synthetic) by COPY.

    The same records ``ipx seed --synthetic`` adds, without their ledger events: a loader for
    the read benchmark only. Returns (assets added, seconds).
    """
    from ipx.registry.samples import synthetic_assets

    start = time.perf_counter()
    with psycopg.connect(_dsn(url)) as conn:
        ids = dict(conn.execute("SELECT sample_key, id FROM parties WHERE sample_key IS NOT NULL"))
        have = {r[0] for r in conn.execute("SELECT number FROM assets")}
        now = datetime.now(UTC)
        conn.execute(
            "CREATE TEMP TABLE bulk (number text, title text, filing date, grant_date date, "
            "expiry date, fees date, ipc text, features json, holder int) ON COMMIT DROP"
        )
        added = 0
        with conn.cursor().copy("COPY bulk FROM STDIN") as copy:
            for a in synthetic_assets(count, 7):
                if a["number"] in have:
                    continue
                expiry = _expiry(a["filing_date"])
                copy.write_row(
                    (
                        a["number"],
                        a["title"],
                        a["filing_date"],
                        a["grant_date"],
                        expiry,
                        a["fees_paid_until"],
                        a["ipc"],
                        _json(a["features"]),
                        ids[a["holder_keys"][0]],
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
    return added, time.perf_counter() - start


def _expiry(filing: str) -> str:
    year, rest = filing.split("-", 1)
    return f"{int(year) + 20}-{rest}"


def _json(value) -> str:
    import json

    return json.dumps(value)


def pledge_some(server_port: int, setup: dict, url: str, count: int) -> list[str]:
    """Apply for and register pledges on generated assets over HTTP; cancel every third."""
    with psycopg.connect(_dsn(url)) as conn:
        rows = conn.execute(
            "SELECT a.id, a.number, h.party_id FROM assets a "
            "JOIN asset_holders h ON h.asset_id = a.id "
            "WHERE a.title LIKE '[合成%%' AND NOT EXISTS "
            "(SELECT 1 FROM pledge_assets pa WHERE pa.asset_id = a.id) ORDER BY a.id LIMIT %s",
            (count,),
        ).fetchall()
    client, numbers = Client(server_port), []
    for i, (asset_id, number, holder) in enumerate(rows):
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


def query_inputs(url: str, pledged: list[str], n: int) -> dict[str, list[tuple[str, str]]]:
    rng = random.Random(11)
    with psycopg.connect(_dsn(url)) as conn:
        unpledged = [
            r[0]
            for r in conn.execute(
                "SELECT number FROM assets WHERE title LIKE '[合成%%' ORDER BY random() LIMIT %s",
                (n,),
            )
        ]
        parties = conn.execute(
            "SELECT DISTINCT pr.name, pr.credit_code FROM pledges p "
            "JOIN parties pr ON pr.id = p.pledgor_id"
        ).fetchall()
    numbers = []
    for i in range(n):
        number = rng.choice(pledged) if i % 2 == 0 else rng.choice(unpledged)
        numbers.append(("number", f"ZL{number}" if i % 4 == 0 else number))
    pledgors = []
    for i in range(n):
        name, code = rng.choice(parties)
        pledgors.append(("pledgor", code if code and i % 2 else name))
    return {"number": numbers, "pledgor": pledgors}


def raw_queries(args: tuple[str, list[tuple[str, str]], float]) -> dict:
    """The same query in SQL, plus the checkpoint read, per input: seconds per answer."""
    from ipx.registry.numbers import InvalidNumber, parse_patent_number

    dsn, inputs, deadline = args
    samples = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        by_number = RAW_SQL.format(where="a.number = ANY(%s)")
        by_pledgor = RAW_SQL.format(where="(pr.name = %s OR pr.credit_code = %s)")
        for kind, value in inputs:
            if time.monotonic() > deadline:
                break
            start = time.perf_counter()
            conn.execute("SELECT size FROM ledger_head WHERE id = 1").fetchone()
            if kind == "number":
                try:
                    spellings = [value, parse_patent_number(value).number]
                except InvalidNumber:
                    spellings = [value]
                conn.execute(by_number, (spellings,)).fetchall()
            else:
                conn.execute(by_pledgor, (value, value.upper())).fetchall()
            samples.append((f"public?{kind}", time.perf_counter() - start, 200, start))
    return {"samples": samples}


def bench_public(setup: dict, url: str, args, server_cls) -> None:
    added, seconds = bulk_load(url, args.assets)
    print(
        f"\nPublic query: {added} GENERATED assets bulk-loaded by COPY in {seconds:.1f} s "
        f"(synthetic_assets, titles marked [合成 synthetic]; no ledger events for them)"
    )
    workers, threads = args.workers_now
    with server_cls(setup["env"], workers, threads=threads) as server:
        pledged = pledge_some(server.port, setup, url, args.pledges)
        inputs = query_inputs(url, pledged, args.queries)
        rows = []
        for kind in ("number", "pledgor"):
            for clients in dict.fromkeys((args.clients, 1)):
                rows += _timed_pair(server.port, url, kind, inputs[kind], clients, args)
    with psycopg.connect(_dsn(url)) as conn:
        n_assets = conn.execute("SELECT count(*) FROM assets").fetchone()[0]
        n_pledges = conn.execute("SELECT count(*) FROM pledges").fetchone()[0]
    print(
        f"{n_assets} assets, {n_pledges} pledges; {len(pledged)} pledged in this phase; "
        f"{args.clients} client processes; {workers} workers x {threads} threads"
    )
    print(f"{'query':<26}{'n':>7}{'q/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'5xx':>5}")
    for r in rows:
        print(
            f"{r['label']:<26}{r['n']:>7}{r['qps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}"
            f"{r['errors']:>5}"
        )


def _timed_pair(port: int, url: str, kind: str, inputs: list, clients: int, args) -> list[dict]:
    """The query over HTTP, then the same inputs in SQL, with ``clients`` concurrent clients.

    One client shows the service time; several show what queueing on two cores adds to it.
    """
    if clients == 1:
        inputs = inputs[: max(1, len(inputs) // 4)]
    chunks = _split(inputs, clients)
    deadline = time.monotonic() + args.max_seconds
    results, wall = run_pool(run_queries, [(port, c, deadline) for c in chunks])
    rows = [_row(f"HTTP ?{kind}, {clients} cl", results, wall)]
    results, wall = run_pool(raw_queries, [(_dsn(url), c, deadline) for c in chunks])
    rows.append(_row(f"raw SQL ?{kind}, {clients} cl", results, wall))
    return rows


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
