"""Prometheus metrics each process counts: request latency per route rule, method and status
class, lock timeouts, idempotent replays (``prometheus-client``).

Under ``ipx serve`` every gunicorn worker writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` (``ipx.ops.server`` sets it before the workers start); ``/metrics``
(``ipx.web.scrape``) adds up every worker's files, whichever worker answers the scrape. This
module imports nothing of the project, so the plumbing that counts (errors, idempotency) does
not depend on what a scrape reads.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

#: This process's metrics, apart from prometheus-client's global registry and its collectors of
#: process statistics (which would describe only the worker that happens to answer a scrape).
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_SECONDS = Histogram(
    "ipx_http_request_duration_seconds",
    "Time to answer a request, by route rule, method and status class.",
    ["route", "method", "status_class"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=PROCESS_REGISTRY,
)
LOCK_TIMEOUTS = Counter(
    "ipx_lock_timeouts",
    "Requests (API or console) that gave up waiting for a database lock "
    "(IPX_DB_LOCK_TIMEOUT_MS): a busy row (503, lock-timeout in the API) or an "
    "Idempotency-Key still held by its first request (409).",
    ["lock"],
    registry=PROCESS_REGISTRY,
)
IDEMPOTENT_REPLAYS = Counter(
    "ipx_idempotent_replays",
    "Requests answered with the stored first answer of their Idempotency-Key.",
    registry=PROCESS_REGISTRY,
)

#: Methods counted under their own name; anything else a client sends counts as "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # the route label of a request no rule matched (a 404 or 405)


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    """Count one answered request (bounded labels: rules, known methods, status classes)."""
    REQUEST_SECONDS.labels(
        route=route or UNMATCHED,
        method=method if method in METHODS else "other",
        status_class=f"{status // 100}xx",
    ).observe(seconds)
