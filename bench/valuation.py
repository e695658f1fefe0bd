"""Valuation latency and throughput, each next to raw `Booster.predict` in the same run.

    python bench/valuation.py [--model-dir DIR] [--batch 100000] [--no-http]

Prints a table. Not a pass/fail test. The HTTP rows start `ipx serve` (gunicorn, one worker) on
SQLite in a temporary folder, bound to 127.0.0.1 on a free port, and stop it afterwards.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time
from datetime import date

import numpy as np
from _valuation_http import BATCH_ITEMS as HTTP_BATCH
from _valuation_http import bench_http

from ipx.valuation import features as F
from ipx.valuation.model import ValuationRequest
from ipx.valuation.predictor import Valuer

REQUEST = ValuationRequest(
    features={
        "claims": 12,
        "backward_citations": 8,
        "npl_citations": 3,
        "family_size": 2,
        "inventors": 4,
        "similar_docs": 6,
    },
    ipc="C22C 38/00",
    filing_date=date(2018, 3, 1),
    grant_date=date(2020, 6, 1),
    as_of=date(2026, 11, 1),
    loan_term_months=36,
)


#: REQUEST as the JSON body of POST /api/v1/valuations.
FEATURES_JSON = {
    "features": REQUEST.features,
    "ipc": REQUEST.ipc,
    "filing_date": REQUEST.filing_date.isoformat(),
    "grant_date": REQUEST.grant_date.isoformat(),
    "as_of": REQUEST.as_of.isoformat(),
    "loan_term_months": REQUEST.loan_term_months,
}


def _timings(fn, n: int) -> list[float]:
    for _ in range(min(n, 50)):
        fn()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _row(name: str, times: list[float], raw: list[float]) -> tuple:
    ms = lambda v: v * 1e3  # noqa: E731
    p99 = lambda t: float(np.percentile(t, 99))  # noqa: E731
    return (
        name,
        ms(statistics.median(times)),
        ms(p99(times)),
        ms(statistics.median(raw)),
        ms(p99(raw)),
    )


def bench_single(valuer: Valuer, n: int = 3000) -> list[tuple]:
    """In-process single valuation, without and with explanation, vs raw predict (3 stages)."""
    x = valuer.feature_rows([REQUEST])
    boosters = [s.booster for s in valuer._stages]
    raw = _timings(lambda: [b.predict(x, raw_score=True, num_threads=1) for b in boosters], n)
    raw_contrib = _timings(lambda: [b.predict(x, pred_contrib=True) for b in boosters], n // 5)
    plain = _timings(lambda: valuer.value(REQUEST), n)
    explained_req = dataclasses.replace(REQUEST, explain=True)
    explained = _timings(lambda: valuer.value(explained_req), n // 5)
    return [
        _row("single, no explanation", plain, raw),
        _row("single, explain (SHAP)", explained, raw_contrib),
    ]


def _requests(size: int) -> list[ValuationRequest]:
    """`size` requests varying the claims (the same draw as the HTTP batch)."""
    claims = np.random.default_rng(0).integers(1, 60, size)
    return [
        dataclasses.replace(REQUEST, features={**REQUEST.features, "claims": int(c)})
        for c in claims
    ]


def _raw_predict(valuer: Valuer, requests: list[ValuationRequest]) -> float:
    x = valuer.feature_rows(requests)
    start = time.perf_counter()
    for s in valuer._stages:
        s.booster.predict(x, raw_score=True)
    return time.perf_counter() - start


def bench_batch(valuer: Valuer, size: int, runs: int = 3) -> tuple:
    """value_batch on `size` varied requests vs raw predict on the same matrix, interleaved;
    median and best of `runs` (the best is the least disturbed by other processes)."""
    requests = _requests(size)
    took, raw = [], []
    for _ in range(runs):
        raw.append(_raw_predict(valuer, requests))
        start = time.perf_counter()
        results = valuer.value_batch(requests)
        took.append(time.perf_counter() - start)
        assert len(results) == size
        del results
    median = statistics.median
    return (f"batch of {size:,}", median(took), min(took), median(raw), min(raw))


def main() -> None:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", default=None)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--no-http", action="store_true", help="skip the ipx serve rows")
    args = parser.parse_args()
    valuer = Valuer.load(args.model_dir)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"model {valuer.version}, {len(F.FEATURE_NAMES)} features; load average {load}\n")
    print(
        f"| {'case':<26} | valuer median ms | valuer p99 ms | raw predict median ms | raw p99 ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    single = bench_single(valuer)
    http_rows, http_batch = ([], None) if args.no_http else bench_http(FEATURES_JSON, single[0][3:])
    for name, med, p99, rmed, rp99 in single + http_rows:
        print(f"| {name:<26} | {med:.3f} | {p99:.3f} | {rmed:.3f} | {rp99:.3f} |")
    name, took, best, raw, raw_best = bench_batch(valuer, args.batch)
    columns = "valuer s (median) | valuer s (best) | raw s (median) | raw s (best)"
    print(f"\n| {'case':<26} | {columns} |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| {name:<26} | {took:.2f} | {best:.2f} | {raw:.2f} | {raw_best:.2f} |")
    if http_batch is not None:
        name, took, best = http_batch
        raw = _raw_predict(valuer, _requests(HTTP_BATCH))
        print(f"| {name:<26} | {took:.2f} | {best:.2f} | {raw:.3f} | {raw:.3f} |")
    print(
        "\nraw predict = Booster.predict of the three stage boosters on the same feature rows"
        " (no feature mapping, calibration or result assembly). HTTP: `ipx serve` (gunicorn,"
        " 1 worker) on SQLite, one keep-alive connection, clerk key, features given directly;"
        " each valuation is validated, valued, stored and appended to the ledger."
    )


if __name__ == "__main__":
    main()
