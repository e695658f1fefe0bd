"""The raw psycopg baseline: the registry lifecycle's rows written in plain SQL.

Each client process holds one psycopg connection and, per lifecycle, writes the same rows in
the same tables as the service, in the same transactions (idempotency key reserved and stored
in transactions of their own, like ``ipx.web.idempotency``), takes the same row locks (application,
assets, pledge, counter, ledger head) and appends the same kind of ledger leaves (canonical JSON
from ``ipx.ledger.events``, leaf hash, record refs, the Merkle nodes an append completes, the
head with its frontier) with the service's own write statement. What it leaves out is
everything that is not SQL: HTTP, Flask, marshmallow, the ORM, authentication, examination
rules in Python.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg

from bench._clients import TODAY, Job
from ipx.ledger import merkle
from ipx.ledger.events import Event, canonical_json, leaf_bytes
from ipx.ledger.log import PG_WRITE, pg_write_params
from ipx.ledger.store import frontier_keys
from ipx.registry.numbers import make_patent_number


class RawLedger:
    """Appends leaves under the head row lock, as the service's ``append`` does: the locking
    read of the head with its frontier, then the same single write statement."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def append(self, events: list[Event], now: datetime) -> None:
        cur = self.conn.cursor()
        size, frontier = cur.execute(
            "SELECT size, frontier FROM ledger_head WHERE id = 1 FOR UPDATE"
        ).fetchone()
        keys = frontier_keys(size)
        if frontier is None or len(frontier) != 32 * len(keys):
            raise RuntimeError("the baseline needs a log whose head carries its frontier")
        nodes = {k: bytes(frontier[i * 32 : (i + 1) * 32]) for i, k in enumerate(keys)}
        entries, refs, new_nodes = [], [], []
        for offset, event in enumerate(events):
            seq = size + offset
            leaf = leaf_bytes(event, seq=seq, time=now, actor="key:raw")
            hashed = merkle.leaf_hash(leaf)
            entries.append((seq, event.type, leaf.decode(), hashed, None))
            for kind, ids in event.refs.items():
                for ref_id in ids if isinstance(ids, list) else [ids]:
                    refs.append((seq, kind.rstrip("s"), ref_id))
            for level, index, value in merkle.new_nodes_for_append(
                seq, hashed, lambda lv, pos: nodes[(lv, pos)]
            ):
                nodes[(level, index)] = value
                if level:
                    new_nodes.append((level, index, value))
        new_size = size + len(events)
        frontier = b"".join(nodes[k] for k in frontier_keys(new_size))
        cur.execute(PG_WRITE, pg_write_params(now, entries, new_nodes, refs, new_size, frontier))


def _digest(state: dict) -> str:
    return hashlib.sha256(canonical_json(state)).hexdigest()


class RawLifecycle:
    """One connection running lifecycles as plain SQL transactions; samples per transaction."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg.connect(dsn)
        self.ledger = RawLedger(self.conn)
        self.samples: list[tuple[str, float, int]] = []

    def timed(self, name: str, fn, *args):
        start = time.perf_counter()
        result = fn(*args)
        self.samples.append((name, time.perf_counter() - start, 200, start))
        return result

    def idempotent(self, fn, *args):
        """Insert the key, do the work, store the answer, append, commit: one transaction."""
        key, now = uuid.uuid4().hex, datetime.now(UTC)
        self.conn.execute(
            "INSERT INTO idempotency_keys (principal, key, request_hash, created_at) "
            "VALUES ('key:raw', %s, %s, %s)",
            (key, hashlib.sha256(key.encode()).hexdigest(), now),
        )
        result, event = fn(now)
        self.conn.execute(
            "UPDATE idempotency_keys SET status = 201, body = %s "
            "WHERE principal = 'key:raw' AND key = %s",
            (json.dumps({"id": result}), key),
        )
        self.ledger.append([event], now)
        self.conn.commit()
        return result

    def create_asset(self, holder: int, year: int, serial: int, now: datetime) -> tuple:
        number, filing = make_patent_number(year, 1, serial), date(year, 3, 1)
        row = (
            "invention",
            number,
            "一种稀土永磁材料及其制备方法 (raw)",
            filing,
            filing + timedelta(days=700),
            date(year + 20, 3, 1),
            "granted",
            TODAY + timedelta(days=300),
            "H01F 1/057",
            json.dumps({"claims": 10, "backward_citations": 5}),
            now,
            now,
        )
        asset_id = self.conn.execute(
            "INSERT INTO assets (kind, number, title, filing_date, grant_date, expiry_date, "
            "status, fees_paid_until, ipc, features, frozen, invalidation_pending, created_at, "
            "updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,false,false,%s,%s) RETURNING id",
            row,
        ).fetchone()[0]
        self.conn.execute(
            "INSERT INTO asset_holders (asset_id, party_id) VALUES (%s, %s)", (asset_id, holder)
        )
        event = Event(
            "asset.registered",
            refs={"asset": asset_id, "parties": [holder]},
            data={"kind": "invention", "number": number, "status": "granted"},
            digests={f"state:asset:{asset_id}": _digest({"id": asset_id, "number": number})},
        )
        return asset_id, event

    def apply(self, pledgor: int, pledgee: int, asset_id: int, now: datetime) -> tuple:
        app_id = self.conn.execute(
            "INSERT INTO pledge_applications (status, pledgor_id, pledgee_id, secured_amount, "
            "currency, debt_start, debt_end, contract_number, asset_ids, co_owner_consent_ids, "
            "forfeiture_clause, acknowledged_risks, submitted_by, created_at, updated_at) VALUES "
            "('submitted',%s,%s,500000000,'CNY',%s,%s,'JK-RAW',%s,'[]',false,'[]','key:raw',%s,%s)"
            " RETURNING id",
            (pledgor, pledgee, TODAY, TODAY + timedelta(days=730), f"[{asset_id}]", now, now),
        ).fetchone()[0]
        refs = {"application": app_id, "assets": [asset_id], "parties": [pledgor, pledgee]}
        return app_id, Event("application.submitted", refs=refs, data={"status": "submitted"})

    def register(self, app_id: int) -> int:
        now, cur = datetime.now(UTC), self.conn.cursor()
        app = cur.execute(
            "SELECT pledgor_id, pledgee_id, asset_ids FROM pledge_applications "
            "WHERE id = %s FOR UPDATE",
            (app_id,),
        ).fetchone()
        asset_ids = sorted(app[2])
        cur.execute("SELECT id FROM assets WHERE id = ANY(%s) ORDER BY id FOR UPDATE", (asset_ids,))
        taken = cur.execute(
            "SELECT pa.asset_id FROM pledge_assets pa JOIN pledges p ON p.id = pa.pledge_id "
            "WHERE pa.asset_id = ANY(%s) AND pa.active AND p.status = 'registered'",
            (asset_ids,),
        ).fetchall()
        if taken:
            self.conn.rollback()
            return 0
        name = f"pledge-number-{now.year}"
        value = cur.execute(
            "INSERT INTO counters (name, value) VALUES (%s, 1) ON CONFLICT (name) "
            "DO UPDATE SET value = counters.value + 1 RETURNING value",
            (name,),
        ).fetchone()[0]
        pledge_id = cur.execute(
            "INSERT INTO pledges (registration_number, application_id, status, pledgor_id, "
            "pledgee_id, secured_amount, currency, debt_start, debt_end, contract_number, "
            "registered_at, updated_at) VALUES (%s,%s,'registered',%s,%s,500000000,'CNY',%s,%s,"
            "'JK-RAW',%s,%s) RETURNING id",
            (
                f"IPX-R-{now.year}-{value:06d}",
                app_id,
                app[0],
                app[1],
                TODAY,
                TODAY + timedelta(days=730),
                now,
                now,
            ),
        ).fetchone()[0]
        cur.executemany(
            "INSERT INTO pledge_assets (pledge_id, asset_id, active) VALUES (%s, %s, true)",
            [(pledge_id, a) for a in asset_ids],
        )
        cur.execute(
            "UPDATE pledge_applications SET status = 'registered', pledge_id = %s, "
            "updated_at = %s WHERE id = %s",
            (pledge_id, now, app_id),
        )
        refs = {"application": app_id, "pledge": pledge_id, "assets": asset_ids}
        self.ledger.append([Event("pledge.registered", refs=refs, data={"n": value})], now)
        self.conn.commit()
        return pledge_id

    def cancel(self, pledge_id: int) -> None:
        now, cur = datetime.now(UTC), self.conn.cursor()
        cur.execute("SELECT status FROM pledges WHERE id = %s FOR UPDATE", (pledge_id,))
        cur.execute(
            "UPDATE pledges SET status = 'cancelled', closed_at = %s, closing_reason = 'repaid', "
            "updated_at = %s WHERE id = %s",
            (now, now, pledge_id),
        )
        cur.execute("UPDATE pledge_assets SET active = false WHERE pledge_id = %s", (pledge_id,))
        event = Event("pledge.cancelled", refs={"pledge": pledge_id}, data={"reason": "repaid"})
        self.ledger.append([event], now)
        self.conn.commit()


def run_raw_lifecycles(args: tuple[str, Job]) -> dict:
    """The raw baseline for one client process (same job shape as the HTTP clients)."""
    dsn, job = args
    raw = RawLifecycle(dsn)
    for serial in range(job.first_serial, job.first_serial + job.count):
        if time.monotonic() > job.deadline:
            break
        asset_id = raw.timed(
            "asset",
            raw.idempotent,
            lambda now, s=serial: raw.create_asset(job.pledgor_id, job.year, s, now),
        )
        app_id = raw.timed(
            "apply",
            raw.idempotent,
            lambda now, a=asset_id: raw.apply(job.pledgor_id, job.pledgee_id, a, now),
        )
        pledge_id = raw.timed("register", raw.register, app_id)
        if pledge_id:
            raw.timed("cancel", raw.cancel, pledge_id)
    raw.conn.close()
    return {"samples": raw.samples}
