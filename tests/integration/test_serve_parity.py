"""``ipx serve`` with several workers gives the same answers on SQLite as on PostgreSQL.

A real gunicorn (``ipx serve --workers 3``) runs as a subprocess on a free 127.0.0.1 port,
against a temporary SQLite file (WAL, busy timeout, BEGIN IMMEDIATE) or a PostgreSQL database of
its own. Sixteen threads, each on its own keep-alive connection, then create parties and assets
and race to register applications: four per contested asset plus one on an asset of their own.
Whatever the backend: exactly one winner per contested asset (the others refused with R09), every
uncontested registration succeeds, no 5xx, no "database is locked", and the log holds one event
per successful write, numbered without gaps. The server is stopped even when an assertion fails.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, text

from bench._server import Server, create_key, instance_env, run_ipx
from ipx.registry.numbers import make_credit_code, make_patent_number
from tests.conftest import _drop_pg_database, _pg_database

pytestmark = pytest.mark.slow

THREADS = 16
CONTESTED = 4
TODAY = date.today()
OUTCOMES: dict[str, dict] = {}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def served(request, tmp_path):
    """(base url, clerk key, database url) of a fresh ``ipx serve --workers 3``."""
    if request.param == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path / 'ipx.sqlite3'}", None
    else:
        url = _pg_database()
        if url is None:
            pytest.skip("PostgreSQL unreachable (set IPX_REQUIRE_POSTGRES=1 to fail instead)")
        cleanup = url
    env = instance_env(url, tmp_path / "instance")
    log = tmp_path / "serve.log"
    try:
        run_ipx(["init"], env)
        clerk = create_key(env, "clerk")
        with Server(env, workers=3, log_path=log) as server:
            yield request.param, server.base, clerk, url
        assert "database is locked" not in log.read_text(errors="replace")
    finally:
        if cleanup:
            _drop_pg_database(cleanup)


def _post(base: str, key: str, path: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"{}")


def _party(base: str, clerk: str, n: int) -> tuple[int, dict]:
    code = make_credit_code(f"9{n:07d}")
    return _post(
        base, clerk, "/parties", {"kind": "organization", "name": f"并发{n}", "credit_code": code}
    )


def _asset(base: str, clerk: str, holder: int, serial: int) -> tuple[int, dict]:
    filing = TODAY - timedelta(days=3 * 365)
    body = {
        "kind": "invention",
        "number": make_patent_number(filing.year, 1, serial),
        "title": "一种并发登记测试方法",
        "holder_ids": [holder],
        "filing_date": filing.isoformat(),
        "grant_date": (filing + timedelta(days=700)).isoformat(),
        "status": "granted",
        "fees_paid_until": (TODAY + timedelta(days=300)).isoformat(),
    }
    return _post(base, clerk, "/assets", body)


def _apply_and_register(base: str, clerk: str, pledgor: int, pledgee: int, asset: int):
    body = {
        "pledgor_id": pledgor,
        "pledgee_id": pledgee,
        "asset_ids": [asset],
        "secured_amount": "1000000.00",
        "currency": "CNY",
        "debt_start": TODAY.isoformat(),
        "debt_end": (TODAY + timedelta(days=365)).isoformat(),
        "contract_number": "JK-PARITY",
    }
    status, application = _post(base, clerk, "/pledge-applications", body)
    if status != 201:
        return ("apply", status, application)
    path = f"/pledge-applications/{application['id']}/register"
    return ("register", *_post(base, clerk, path, {}))


def _worker(base, clerk, n, pledgor, pledgee, contested, results, lock):
    """One client: a party, an asset of its own, a contested and an uncontested registration."""
    mine = [("party", *_party(base, clerk, 100 + n))]
    status, asset = _asset(base, clerk, pledgor, 200 + n)
    mine.append(("asset", status, asset))
    mine.append(
        ("contested", contested, _apply_and_register(base, clerk, pledgor, pledgee, contested))
    )
    if status == 201:
        mine.append(
            ("own", asset["id"], _apply_and_register(base, clerk, pledgor, pledgee, asset["id"]))
        )
    with lock:
        results.extend(mine)


def _ledger(url: str) -> tuple[Counter, list[int], int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT seq, type FROM ledger_entries ORDER BY seq")).all()
            size = conn.execute(text("SELECT size FROM ledger_head")).scalar_one()
    finally:
        engine.dispose()
    return Counter(t for _, t in rows), [s for s, _ in rows], size


def test_concurrent_writes_give_the_same_answers_on_every_backend(served):
    backend, base, clerk, url = served
    (s1, pledgor), (s2, pledgee) = _party(base, clerk, 1), _party(base, clerk, 2)
    assert (s1, s2) == (201, 201)
    contested = []
    for i in range(CONTESTED):
        status, asset = _asset(base, clerk, pledgor["id"], 100 + i)
        assert status == 201, asset
        contested.append(asset["id"])

    results, lock = [], threading.Lock()
    threads = [
        threading.Thread(
            target=_worker,
            args=(
                base,
                clerk,
                n,
                pledgor["id"],
                pledgee["id"],
                contested[n % CONTESTED],
                results,
                lock,
            ),
        )
        for n in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads)

    statuses = [r[1] for r in results if r[0] in ("party", "asset")]
    statuses += [r[2][1] for r in results if r[0] in ("contested", "own")]
    assert all(s < 500 for s in statuses), results
    assert "database is locked" not in json.dumps(results)
    assert [r[1] for r in results if r[0] == "party"] == [201] * THREADS
    assert [r[1] for r in results if r[0] == "asset"] == [201] * THREADS
    own = [r[2] for r in results if r[0] == "own"]
    assert [(step, status) for step, status, _ in own] == [("register", 201)] * THREADS

    winners = Counter()
    for _, asset_id, (step, status, body) in (r for r in results if r[0] == "contested"):
        assert step == "register", body
        if status == 201:
            winners[asset_id] += 1
        else:
            assert status == 409 and body["code"] == "registration-refused", body
            assert [g["code"] for g in body["grounds"]] == ["R09"], body
    assert winners == Counter({asset_id: 1 for asset_id in contested})

    types, seqs, size = _ledger(url)
    assert seqs == list(range(size)), "the log is numbered without gaps"
    assert types["party.created"] == 2 + THREADS
    assert types["asset.registered"] == CONTESTED + THREADS
    assert types["application.submitted"] == 2 * THREADS
    assert types["pledge.registered"] == CONTESTED + THREADS
    assert size == sum(types.values())

    outcome = {"winners": sorted(winners.values()), "types": dict(types), "size": size}
    OUTCOMES[backend] = outcome
    for other in OUTCOMES.values():
        assert other == outcome, "SQLite and PostgreSQL gave different answers"


def test_the_server_helper_stops_its_workers(tmp_path):
    """The helper kills the whole process group, so no gunicorn worker outlives a failed test
    (one worker: the group is then the arbiter and its worker, which is what is to be shown)."""
    env = instance_env(f"sqlite:///{tmp_path / 'ipx.sqlite3'}", tmp_path / "instance")
    run_ipx(["init"], env)
    server = Server(env, workers=1, log_path=tmp_path / "serve.log")
    with pytest.raises(RuntimeError), server:
        raise RuntimeError("a failing test body")
    assert server.proc.poll() is not None
    with pytest.raises(ProcessLookupError):  # nothing is left in the server's process group
        os.killpg(server.proc.pid, 0)
