"""Settings. The only module that reads ``os.environ`` (``IPX_*`` variables)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import overload

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_LTV_CAPS = {
    "invention": "0.25",
    "utility_model": "0.15",
    "design": "0.10",
    "trademark": "0.30",
    "copyright": "0.10",
}


@overload
def _env(name: str) -> str | None: ...
@overload
def _env(name: str, default: str) -> str: ...
def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"IPX_{name}", default)


def default_database_url(instance_path: Path) -> str:
    """The embedded default: a SQLite file under ``instance/``."""
    return f"sqlite:///{instance_path / 'ipx.sqlite3'}"


def argon2_memory_kib() -> int:
    """Memory of one Argon2id password check: 64 MiB (RFC 9106's second profile). The test
    suite sets ``IPX_ARGON2_MEMORY_KIB`` lower, so hundreds of logins do not take minutes."""
    return int(_env("ARGON2_MEMORY_KIB", "65536"))


def preload_model() -> bool:
    """``IPX_PRELOAD_MODEL`` (default on): each ``ipx serve`` worker loads the valuation model
    before it takes requests, so no valuation waits for it. ``0`` loads it on the first
    valuation instead: a deployment that only keeps the registry saves each worker about 2 s of
    start and the model's memory (the test suite sets it for the servers it starts)."""
    return _env("PRELOAD_MODEL", "1").strip().lower() not in ("0", "false", "no", "off")


def prometheus_multiproc_dir() -> str | None:
    """prometheus-client's multiprocess directory (``PROMETHEUS_MULTIPROC_DIR``, which
    ``ipx serve`` sets for its workers; the library reads it too): None in a single process."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def metrics_dir() -> str | None:
    """``IPX_METRICS_DIR``: where ``ipx serve``'s workers keep their metrics (emptied at each
    start); None: a fresh temporary directory per server, removed when it stops."""
    return _env("METRICS_DIR") or None


def log_level() -> str:
    """``IPX_LOG_LEVEL`` of the JSON log on stderr (``ipx serve``, ``wsgi.py``)."""
    return _env("LOG_LEVEL", "INFO").upper()


def log_origin() -> str:
    """``IPX_LOG_ORIGIN``: the checkpoints' origin line, and the name of their signing key."""
    return _env("LOG_ORIGIN") or _env("LEDGER_ORIGIN") or "ipx.example/pledge-log"


def witnesses() -> list[tuple[str, str]]:
    """``IPX_WITNESSES``: ``(submission URL prefix, verifier key)`` of each witness."""
    listed = []
    for item in (_env("WITNESSES") or "").split(";"):
        if item.strip():
            url, _, vkey = item.strip().partition(" ")
            listed.append((url.strip().rstrip("/"), vkey.strip()))
    return listed


#: Seconds before each retry of a webhook delivery: three within the first minute, then
#: growing over more than two days (the sum is about 52 hours); jitter is added to each.
DEFAULT_RETRY_SCHEDULE = (5, 15, 40, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 86400)


def webhook_retry_schedule(text: str | None) -> tuple[float, ...]:
    """``IPX_WEBHOOK_RETRY_SCHEDULE``: seconds, comma-separated (the default when unset)."""
    if not text:
        return tuple(float(s) for s in DEFAULT_RETRY_SCHEDULE)
    return tuple(float(part) for part in text.split(",") if part.strip())


def instance_config() -> dict:
    """This instance's configuration; creates ``instance/`` (the default SQLite file, keys)."""
    path = instance_path()
    path.mkdir(parents=True, exist_ok=True)
    return load_config(path)


def instance_path() -> Path:
    """``instance/`` beside the code: the default SQLite file and the instance keys."""
    return PROJECT_ROOT / "instance"


def load_config(instance_path: Path) -> dict:
    """Build the Flask config mapping from defaults and ``IPX_*`` variables."""
    return {
        "DATABASE_URL": _env("DATABASE_URL") or default_database_url(instance_path),
        # A streaming replica for the public query and the ledger's public reads (None: all
        # reads on the primary). Writes always go to DATABASE_URL.
        "READ_DATABASE_URL": _env("READ_DATABASE_URL") or None,
        # PostgreSQL: the longest a statement waits for a row lock before giving up (503, or
        # 409 idempotency-in-progress for a duplicate Idempotency-Key); SQLite's busy timeout
        # plays this part there.
        "DB_LOCK_TIMEOUT_MS": int(_env("DB_LOCK_TIMEOUT_MS", "10000")),
        "SIGNING_KEY_FILE": _env("SIGNING_KEY_FILE") or str(instance_path / "ledger-signing.key"),
        "DIGEST_KEY_FILE": _env("DIGEST_KEY_FILE") or str(instance_path / "ledger-digest.key"),
        # The console: the key signing its session cookies, and minutes of inactivity after
        # which a console session ends.
        "SESSION_KEY_FILE": _env("SESSION_KEY_FILE") or str(instance_path / "console-session.key"),
        "CONSOLE_IDLE_MINUTES": int(_env("CONSOLE_IDLE_MINUTES", "30")),
        "MODEL_DIR": _env("MODEL_DIR"),
        # The valuation report's font (a TrueType file with CJK glyphs; None: Debian's
        # fonts-wqy-microhei, ``ipx.valuation_reports``).
        "REPORT_FONT_FILE": _env("REPORT_FONT_FILE") or None,
        # The log's identity (C2SP tlog-checkpoint): the origin line of every checkpoint and
        # the name of the key signing them are one setting, IPX_LOG_ORIGIN (IPX_LEDGER_ORIGIN,
        # its older name, still read). Never change it on a log that has checkpoints.
        "LEDGER_ORIGIN": log_origin(),
        "LEDGER_KEY_NAME": log_origin(),
        # Witnesses asked to cosign each new checkpoint (C2SP tlog-witness), ``ipx.ledger.
        # witnesses``: IPX_WITNESSES, entries "<submission URL> <verifier key>" joined by ";".
        "WITNESSES": witnesses(),
        "WITNESS_TIMEOUT_SECONDS": float(_env("WITNESS_TIMEOUT_SECONDS", "5")),
        "CHECKPOINT_EVERY_SECONDS": int(_env("CHECKPOINT_EVERY_SECONDS", "10")),
        "CHECKPOINT_EVERY_EVENTS": int(_env("CHECKPOINT_EVERY_EVENTS", "1000")),
        "MAX_CONTENT_LENGTH": int(_env("MAX_BODY_BYTES", str(8 * 1024 * 1024))),
        "MAX_BATCH_ITEMS": int(_env("MAX_BATCH_ITEMS", "10000")),
        # Operating (ipx.web.observability, health, limits): the per-request JSON log line,
        # /metrics on or off, and rate limits per client address ("N per minute", several
        # joined by ";", or "off"), counted in Redis when IPX_REDIS_URL is set (shared by
        # every worker and instance), else in each process's memory.
        "REQUEST_LOG": _env("ACCESS_LOG", "1") != "0",
        "METRICS_ENABLED": _env("METRICS", "1") != "0",
        "METRICS_MULTIPROC_DIR": prometheus_multiproc_dir(),
        "RATE_LIMIT_PUBLIC": _env("RATE_LIMIT_PUBLIC", "60 per minute"),
        "RATE_LIMIT_LOGIN": _env("RATE_LIMIT_LOGIN", "10 per minute"),
        "REDIS_URL": _env("REDIS_URL") or None,
        # Reverse proxies in front of the service whose X-Forwarded-For is trusted (0: none,
        # the peer address is the client's; 1: one TLS-terminating proxy).
        "TRUSTED_PROXIES": int(_env("TRUSTED_PROXIES", "0")),
        "LTV_CAPS": {
            kind: _env(f"LTV_CAP_{kind.upper()}", cap) for kind, cap in DEFAULT_LTV_CAPS.items()
        },
        "SAMPLES_DIR": _env("SAMPLES_DIR") or str(PROJECT_ROOT / "data" / "samples"),
        # Notifications (ipx.notify): loopback webhook URLs (tests, the demo), the seconds
        # between a delivery's attempts (after the last, the subscription is failing), the
        # request timeout, and the worker's pause when nothing is due.
        "WEBHOOK_ALLOW_LOOPBACK": _env("WEBHOOK_ALLOW_LOOPBACK", "0") == "1",
        "WEBHOOK_RETRY_SCHEDULE": webhook_retry_schedule(_env("WEBHOOK_RETRY_SCHEDULE")),
        "WEBHOOK_TIMEOUT_SECONDS": float(_env("WEBHOOK_TIMEOUT_SECONDS", "10")),
        "WORKER_POLL_SECONDS": float(_env("WORKER_POLL_SECONDS", "1")),
        "WATCH_EVERY_SECONDS": float(_env("WATCH_EVERY_SECONDS", "3600")),
        # The operator's default: each bank's pledged collateral is revalued this often by the
        # worker (days, e.g. 30 for monthly; 0: only when a bank asks, POST
        # /portfolio/revaluations). A bank with its own monthly schedule (PUT
        # /portfolio/revaluation-schedule) follows that instead.
        "REVALUATION_EVERY_DAYS": float(_env("REVALUATION_EVERY_DAYS", "0")),
        "MODELS_ROOT": str(PROJECT_ROOT / "models"),
        "TESTING": False,
    }


#: gunicorn workers x threads when neither flags nor IPX_WORKERS/IPX_THREADS say, by backend
#: (bench/README.md, session 2). PostgreSQL: a thread holding the log's head lock must win its
#: process's GIL back after every round trip, so single-threaded processes keep that lock
#: shortest (register burst 205-307/s against 185-223/s for 2x4). SQLite: writers queue on one
#: file lock whose busy handler sleeps, so fewer processes do better (4x2: 148/s, 2x4: 239/s).
SERVER_SHAPES = {"postgresql": (4, 1), "sqlite": (2, 4)}


def server_settings() -> dict:
    """Settings of ``ipx serve`` from the environment, with the backend's default shape."""
    url = _env("DATABASE_URL") or ""
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    workers, threads = SERVER_SHAPES[backend]
    return {
        "host": _env("HOST", "127.0.0.1"),
        "port": int(_env("PORT", "8000")),
        "workers": int(_env("WORKERS", str(workers))),
        "threads": int(_env("THREADS", str(threads))),
        "access_log": _env("ACCESS_LOG", "1") != "0",
    }
