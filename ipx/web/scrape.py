"""``/metrics``: the Prometheus text exposition of every worker's metrics and the ledger's.

The counts come from ``ipx.web.metrics`` (every worker's files in multiprocess mode, else this
process's). The ledger's size and the age of its latest checkpoint are read from the database
at scrape time, so every instance on one database reports the same values.

``/metrics`` needs no key: it holds counts and timings per route rule and the ledger's size,
none of them per record or personal, and the size is public anyway
(``/api/v1/ledger/checkpoint``). It is an operator's endpoint all the same: ``IPX_METRICS=0``
removes it, and a proxy facing the internet should not forward it (README, Operating).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError

from ipx.db import reading
from ipx.db_ext import database
from ipx.ledger.checkpoints import latest_checkpoint
from ipx.ledger.store import log_size
from ipx.web.metrics import PROCESS_REGISTRY

log = logging.getLogger(__name__)


class LedgerCollector:
    """The log's size and how long ago its latest checkpoint was signed, read at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "ipx_database_up", "1 if the scrape could read the ledger from the database."
        )
        try:
            with reading(database(self.app).sessions) as session:
                size = log_size(session)
                latest = latest_checkpoint(session)
        except SQLAlchemyError as exc:
            log.warning("metrics: the database could not be read: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "ipx_ledger_tree_size", "Entries in the ledger (the Merkle tree's size).", value=size
        )
        yield GaugeMetricFamily(
            "ipx_ledger_checkpoint_tree_size",
            "Entries the latest signed checkpoint covers.",
            value=latest.tree_size if latest else 0,
        )
        age = (datetime.now(UTC) - latest.signed_at).total_seconds() if latest else math.nan
        yield GaugeMetricFamily(
            "ipx_ledger_seconds_since_checkpoint",
            "Seconds since the latest checkpoint was signed (NaN before the first one).",
            value=age,
        )


class _ThisProcess:
    """This process's metrics, for a scrape outside multiprocess mode."""

    def collect(self) -> Iterator[Metric]:
        return iter(PROCESS_REGISTRY.collect())


def exposition(app: Flask) -> bytes:
    """The text exposition of every worker's metrics (or this process's) and the ledger's."""
    registry = CollectorRegistry(auto_describe=False)
    multiproc_dir = app.config.get("METRICS_MULTIPROC_DIR")
    if multiproc_dir:
        MultiProcessCollector(registry, path=multiproc_dir)
    else:
        registry.register(_ThisProcess())
    registry.register(LedgerCollector(app))
    return generate_latest(registry)


blp = Blueprint("metrics", __name__)


@blp.get("/metrics")
def metrics() -> Response:
    """Prometheus text exposition (no key: see the module docstring)."""
    return Response(
        exposition(current_app),
        content_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )


def init_app(app: Flask) -> None:
    """``/metrics`` unless ``METRICS_ENABLED`` is off (``IPX_METRICS=0``)."""
    if app.config.get("METRICS_ENABLED", True):
        app.register_blueprint(blp)
