"""Clients and checks for tests that drive real ``ipx serve`` processes on PostgreSQL.

The servers themselves are ``bench._server.Server`` (a process group each, always stopped).
Here: request bodies for the registration flow, a POST that reports connection failures
instead of hiding them, and what the tests check afterwards straight in the database (the log
numbered without gaps, registration numbers without gaps, one pledge per asset) and with
``ipx verify``.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

from bench._server import ipx_command
from ipx.registry.numbers import make_credit_code, make_patent_number

TODAY = date.today()
#: What a client sees when the server it talks to is gone (killed, restarting).
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    replayed: bool


def post(base: str, key: str, path: str, body: dict, idempotency_key: str | None = None) -> Answer:
    """POST JSON to ``{base}/api/v1{path}``; raises ``CONNECTION_ERRORS`` on a dead server."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    try:
        connection.request("POST", f"/api/v1{path}", body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        raw = response.read()
        replayed = response.getheader("Idempotent-Replayed", "").lower() == "true"
        return Answer(response.status, json.loads(raw) if raw else {}, replayed)
    finally:
        connection.close()


def get(base: str, key: str, path: str) -> Answer:
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    try:
        connection.request("GET", f"/api/v1{path}", headers={"Authorization": f"Bearer {key}"})
        response = connection.getresponse()
        raw = response.read()
        return Answer(response.status, json.loads(raw) if raw else {}, False)
    finally:
        connection.close()


# --- bodies ---------------------------------------------------------------------------------


def party_body(n: int, name: str = "并发登记") -> dict:
    return {
        "kind": "organization",
        "name": f"{name}{n}",
        "credit_code": make_credit_code(f"9{n:07d}"),
    }


def asset_body(holder: int, serial: int) -> dict:
    filing = TODAY - timedelta(days=3 * 365)
    return {
        "kind": "invention",
        "number": make_patent_number(filing.year, 1, serial),
        "title": "一种多实例并发登记测试方法",
        "holder_ids": [holder],
        "filing_date": filing.isoformat(),
        "grant_date": (filing + timedelta(days=700)).isoformat(),
        "status": "granted",
        "fees_paid_until": (TODAY + timedelta(days=300)).isoformat(),
    }


def application_body(pledgor: int, pledgee: int, asset: int, contract: str) -> dict:
    return {
        "pledgor_id": pledgor,
        "pledgee_id": pledgee,
        "asset_ids": [asset],
        "secured_amount": "1000000.00",
        "currency": "CNY",
        "debt_start": TODAY.isoformat(),
        "debt_end": (TODAY + timedelta(days=365)).isoformat(),
        "contract_number": contract,
    }


# --- what the database holds afterwards -----------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """The facts the tests check, read straight from the database."""

    log_seqs: list[int]
    log_size: int
    event_types: Counter
    registration_numbers: list[str]
    pledges_per_asset: Counter
    active_pledges_per_asset: Counter
    rows: dict[str, int]


def stored(url: str) -> Stored:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            log = conn.execute(text("SELECT seq, type FROM ledger_entries ORDER BY seq")).all()
            per_asset = conn.execute(
                text("SELECT asset_id, active FROM pledge_assets ORDER BY asset_id")
            ).all()
            return Stored(
                log_seqs=[seq for seq, _ in log],
                log_size=conn.execute(text("SELECT size FROM ledger_head")).scalar_one(),
                event_types=Counter(kind for _, kind in log),
                registration_numbers=sorted(
                    conn.execute(text("SELECT registration_number FROM pledges")).scalars()
                ),
                pledges_per_asset=Counter(asset for asset, _ in per_asset),
                active_pledges_per_asset=Counter(asset for asset, active in per_asset if active),
                rows={
                    table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                    for table in ("parties", "assets", "pledge_applications", "pledges")
                },
            )
    finally:
        engine.dispose()


def gapless_registration_numbers(numbers: list[str]) -> bool:
    """``IPX-P-YYYY-000001`` ... ``-00000n`` for each year, none missing, none twice."""
    by_year: dict[str, list[int]] = {}
    for number in numbers:
        found = re.fullmatch(r"IPX-P-(\d{4})-(\d{6})", number)
        if found is None:
            return False
        by_year.setdefault(found.group(1), []).append(int(found.group(2)))
    return all(sorted(serials) == list(range(1, len(serials) + 1)) for serials in by_year.values())


def ipx_verify(env: dict) -> subprocess.CompletedProcess:
    """``ipx verify`` on the instance of ``env`` (its exit status and output)."""
    return subprocess.run(
        [*ipx_command(env), "verify"], env=env, capture_output=True, text=True, timeout=600
    )
