"""HTTP client workers for the registry bench: keep-alive connections, one per client process.

Clients run in processes (not threads) so that the client's own Python does not serialise the
load on one GIL; each process keeps one ``http.client`` connection open (keep-alive).
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from ipx.registry.numbers import make_patent_number

HOST = "127.0.0.1"
TODAY = date.today()


@dataclass(frozen=True)
class Job:
    """What one client process does: ``count`` lifecycles on the given serials."""

    port: int
    clerk: str
    bank: str
    pledgor_id: int
    pledgee_id: int
    year: int
    first_serial: int
    count: int
    deadline: float
    steps: tuple[str, ...] = ("asset", "apply", "register", "cancel")


class Client:
    """One keep-alive connection; records (call, seconds, status, start) for every request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.samples: list[tuple[str, float, int]] = []

    def call(self, name: str, method: str, path: str, key: str | None, body=None, idem=False):
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if idem:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        payload = None if body is None else json.dumps(body)
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnect on the next call
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            self.samples.append((name, time.perf_counter() - start, 599, start))
            return 599, None
        self.samples.append((name, time.perf_counter() - start, response.status, start))
        return response.status, (json.loads(data) if data else None)


def asset_body(holder_id: int, year: int, serial: int) -> dict:
    filing = date(year, 3, 1)
    return {
        "kind": "invention",
        "number": make_patent_number(year, 1, serial),
        "title": "一种稀土永磁材料及其制备方法 (bench)",
        "holder_ids": [holder_id],
        "filing_date": filing.isoformat(),
        "grant_date": (filing + timedelta(days=700)).isoformat(),
        "status": "granted",
        "fees_paid_until": (TODAY + timedelta(days=300)).isoformat(),
        "ipc": "H01F 1/057",
        "features": {"claims": 10, "backward_citations": 5, "family_size": 2, "inventors": 3},
    }


def application_body(pledgor_id: int, pledgee_id: int, asset_id: int) -> dict:
    return {
        "pledgor_id": pledgor_id,
        "pledgee_id": pledgee_id,
        "asset_ids": [asset_id],
        "secured_amount": "5000000.00",
        "currency": "CNY",
        "debt_start": TODAY.isoformat(),
        "debt_end": (TODAY + timedelta(days=730)).isoformat(),
        "contract_number": "JK-BENCH-0001",
    }


def run_lifecycles(job: Job) -> dict:
    """Run the job's lifecycles (or the steps asked for); return samples and made ids."""
    client = Client(job.port)
    made = {"applications": [], "pledges": []}
    for serial in range(job.first_serial, job.first_serial + job.count):
        if time.monotonic() > job.deadline:
            break
        _one_lifecycle(client, job, serial, made)
    client.conn.close()
    return {"samples": client.samples, **made}


def _one_lifecycle(client: Client, job: Job, serial: int, made: dict) -> None:
    body = asset_body(job.pledgor_id, job.year, serial)
    status, asset = client.call("asset", "POST", "/api/v1/assets", job.clerk, body, idem=True)
    if status != 201:
        return
    body = application_body(job.pledgor_id, job.pledgee_id, asset["id"])
    status, application = client.call(
        "apply", "POST", "/api/v1/pledge-applications", job.bank, body, idem=True
    )
    if status != 201:
        return
    made["applications"].append(application["id"])
    if "register" not in job.steps:
        return
    path = f"/api/v1/pledge-applications/{application['id']}/register"
    status, pledge = client.call("register", "POST", path, job.clerk)
    if status != 201:
        return
    made["pledges"].append(pledge["id"])
    if "query" in job.steps:  # a bank checks the register before it lends: a read between writes
        path = f"/api/v1/public/encumbrances?number={asset['number']}"
        client.call("query", "GET", path, None)
    if "cancel" in job.steps:
        path = f"/api/v1/pledges/{pledge['id']}/cancel"
        client.call("cancel", "POST", path, job.clerk, {"reason": "repaid"})


def run_registers(args: tuple[int, str, list[int], float]) -> dict:
    """Register the given applications one after another (the register-only burst)."""
    port, clerk, application_ids, deadline = args
    client = Client(port)
    for application_id in application_ids:
        if time.monotonic() > deadline:
            break
        path = f"/api/v1/pledge-applications/{application_id}/register"
        client.call("register", "POST", path, clerk)
    client.conn.close()
    return {"samples": client.samples}


def run_queries(args: tuple[int, list[tuple[str, str]], float]) -> dict:
    """GET the public query for each (kind, value); kind is 'number' or 'pledgor'."""
    from urllib.parse import quote

    port, queries, deadline = args
    client = Client(port)
    for kind, value in queries:
        if time.monotonic() > deadline:
            break
        path = f"/api/v1/public/encumbrances?{kind}={quote(value)}"
        client.call(f"public?{kind}", "GET", path, None)
    client.conn.close()
    return {"samples": client.samples}


def run_pool(fn, args: list) -> tuple[list[dict], float]:
    """Run ``fn`` over ``args`` in one spawned process each; return results and wall seconds."""
    import multiprocessing

    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(len(args)) as pool:
        results = pool.map(fn, args)
    return results, time.perf_counter() - start


def busy_seconds(samples: list[tuple]) -> float:
    """From the first request's start to the last one's end (process start-up excluded)."""
    if not samples:
        return 1e-9
    return max(s[3] + s[1] for s in samples) - min(s[3] for s in samples)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]
