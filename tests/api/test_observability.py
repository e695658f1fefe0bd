"""What an operator reads: one JSON log line per request, request ids, Prometheus metrics.

The log line holds ids and the route rule, never the key, a password or a personal value sent
in the request. Every answer carries ``X-Request-ID``. ``/metrics`` counts requests per route
rule, method and status class, replays and lock timeouts, and reads the ledger's size; under
gunicorn the workers' counts add up (a multiprocess test, and a real ``ipx serve``, slow).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from ipx import create_app
from ipx.db_ext import database
from ipx.registry.numbers import make_identity_number
from ipx.web.jsonlog import JsonFormatter
from tests.console_helpers import PASSWORD, console_user, post_login
from tests.contract import DOCUMENT_PATH
from tests.registry_helpers import assert_problem, credit_code

ROOT = Path(__file__).resolve().parents[2]
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
HISTOGRAM = "ipx_http_request_duration_seconds"


def _lines(caplog) -> list[dict]:
    """The request lines written so far, as the JSON formatter writes them (but the test
    client's own fetch of the OpenAPI document, see tests.contract)."""
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in caplog.records if r.name == "ipx.request"]
    return [line for line in lines if line["route"] != DOCUMENT_PATH]


def _everything_logged(caplog) -> str:
    formatter = JsonFormatter()
    return "\n".join(formatter.format(record) for record in caplog.records)


def _key_id(headers: dict) -> str:
    return headers["Authorization"].split()[1].split("_")[1]


# --- the line per request ----------------------------------------------------------------------


def test_each_request_writes_one_json_line_with_ids_route_status_and_duration(
    client, clerk, caplog
):
    caplog.set_level(logging.DEBUG)
    body = {"kind": "organization", "name": "东方精密仪器有限公司", "credit_code": credit_code()}
    response = client.post("/api/v1/parties", json=body, headers=clerk)
    assert response.status_code == 201
    (line,) = _lines(caplog)
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["method"] == "POST"
    assert line["route"] == "/api/v1/parties"
    assert line["status"] == 201
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["key_id"] == _key_id(clerk)
    assert line["level"] == "INFO" and line["logger"] == "ipx.request"
    assert line["time"].endswith("Z")


def test_the_log_never_holds_the_key_or_a_personal_value(client, clerk, caplog):
    caplog.set_level(logging.DEBUG)
    number = make_identity_number("110105", date(1980, 5, 17), 321)
    body = {"kind": "individual", "name": "王秀英", "id_number": number}
    created = client.post("/api/v1/parties", json=body, headers=clerk)
    assert created.status_code == 201, created.get_json()
    again = client.post("/api/v1/parties", json=body, headers=clerk)  # a refusal is logged too
    assert_problem(again, 409, "party-exists")
    client.get("/api/v1/public/encumbrances", query_string={"pledgor": "王秀英"})
    logged = _everything_logged(caplog)
    token = clerk["Authorization"].split()[1]
    secret = token.split("_", 2)[2]  # ipx_<id>_<secret>: it may hold "_"
    assert len(_lines(caplog)) == 3
    for value in (token, secret, number, "王秀英"):
        assert value not in logged
    # The route rule, not the path and query that were sent.
    assert [line["route"] for line in _lines(caplog)][-1] == "/api/v1/public/encumbrances"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_console_request_logs_the_users_id_never_the_username_or_password(app, client, caplog):
    username = console_user(app, "clerk")
    caplog.set_level(logging.DEBUG)
    assert post_login(client, username).status_code == 302
    client.get("/console/")
    lines = _lines(caplog)
    assert [line["route"] for line in lines] == ["/console/login", "/console/login", "/console/"]
    assert "user_id" not in lines[0] and lines[-1]["user_id"].isdigit()
    logged = _everything_logged(caplog)
    assert PASSWORD not in logged and username not in logged


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_request_no_route_matches_logs_no_route(client, caplog):
    caplog.set_level(logging.INFO)
    assert client.get("/api/v1/no/such/thing?who=张三").status_code == 404
    (line,) = _lines(caplog)
    assert line["route"] is None and line["status"] == 404
    assert "张三" not in _everything_logged(caplog)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_line_per_request_can_be_turned_off(app, caplog):
    quiet = create_app({**app.config, "REQUEST_LOG": False})
    caplog.set_level(logging.INFO)
    assert quiet.test_client().get("/healthz").status_code == 200
    assert _lines(caplog) == []
    database(quiet).dispose()


class _DriverError(Exception):
    """A driver's error as psycopg raises it: its message quotes the values."""

    class diag:  # noqa: N801 - psycopg's attribute
        constraint_name = "uq_parties_credit_code"


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    "error",
    [
        IntegrityError(
            "INSERT INTO parties (name, credit_code) VALUES (%(name)s, %(credit_code)s)",
            {"name": "王秀英", "credit_code": "91310115MA1XK7Q29Q"},
            _DriverError("Key (credit_code)=(91310115MA1XK7Q29Q) already exists. 王秀英"),
        ),
        OperationalError(
            "SELECT 1", {}, _DriverError("server closed; last value 91310115MA1XK7Q29Q")
        ),
        ValueError("identity number 91310115MA1XK7Q29Q of 王秀英 is not valid"),
    ],
    ids=["integrity", "operational", "unexpected"],
)
def test_error_logs_name_the_error_and_its_statement_never_the_values(app, caplog, error):
    caplog.set_level(logging.DEBUG)
    with app.test_request_context("/api/v1/parties", method="POST"):
        try:
            raise error
        except Exception as raised:  # noqa: BLE001 - handed to the app's handlers
            response = app.make_response(app.handle_user_exception(raised))
    assert response.status_code in (409, 500, 503)
    logged = _everything_logged(caplog)
    assert type(error).__name__ in logged
    assert "91310115MA1XK7Q29Q" not in logged and "王秀英" not in logged
    if not isinstance(error, ValueError):
        assert "INSERT INTO parties" in logged or "SELECT 1" in logged
    if isinstance(error, IntegrityError):
        assert "uq_parties_credit_code" in logged


def test_the_json_formatter_writes_extras_and_tracebacks_on_one_line():
    logger = logging.getLogger("ipx.test.formatter")
    try:
        raise ValueError("boom")
    except ValueError:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info(),
            extra={"route": "/r", "status": 500},
        )  # fmt: skip
    written = JsonFormatter().format(record)
    assert "\n" not in written
    line = json.loads(written)
    assert line["message"] == "failed x" and line["route"] == "/r" and line["status"] == 500
    assert "ValueError: boom" in line["exception"]
    assert "request_id" not in line  # no request was running


# --- request ids -------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    "path", ["/api/v1/ledger/checkpoint", "/api/v1/pledges", "/api/v1/nowhere", "/console/public",
             "/console/login", "/healthz"],
)  # fmt: skip
def test_a_well_formed_request_id_comes_back_on_every_answer(client, path, caplog):
    caplog.set_level(logging.INFO)
    sent = "edge-7f3a.42:retry_1"
    response = client.get(path, headers={"X-Request-ID": sent})
    assert response.headers["X-Request-ID"] == sent
    assert _lines(caplog)[-1]["request_id"] == sent


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("sent", ["", "has space", "x" * 129, "<script>", "id\u00e9", "a;b"])
def test_a_malformed_request_id_is_replaced_by_a_new_one(client, sent):
    response = client.get("/healthz", headers={"X-Request-ID": sent})
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


@pytest.mark.parametrize("backend", ["sqlite"])
def test_without_a_request_id_each_answer_gets_a_new_one(client):
    first, second = (client.get("/api/v1/pledges").headers["X-Request-ID"] for _ in range(2))
    assert GENERATED_ID.fullmatch(first) and GENERATED_ID.fullmatch(second) and first != second


# --- metrics -----------------------------------------------------------------------------------


def _samples(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    families = text_string_to_metric_families(response.get_data(as_text=True))
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
    }


def _count(samples, route: str, method: str = "GET", status_class: str = "2xx") -> float:
    labels = frozenset({"route": route, "method": method, "status_class": status_class}.items())
    return samples.get((f"{HISTOGRAM}_count", labels), 0)


def test_metrics_have_a_latency_histogram_per_route_method_and_status_class(
    client, clerk, registry
):
    party = registry.party()
    before = _samples(client)
    for _ in range(3):
        assert client.get(f"/api/v1/parties/{party}", headers=clerk).status_code == 200
    assert client.get("/api/v1/parties/999999", headers=clerk).status_code == 404
    after = _samples(client)
    route = "/api/v1/parties/<int:party_id>"
    assert _count(after, route) - _count(before, route) == 3
    assert _count(after, route, status_class="4xx") - _count(before, route, status_class="4xx") == 1
    buckets = {
        dict(labels)["le"]
        for name, labels in after
        if name == f"{HISTOGRAM}_bucket" and dict(labels)["route"] == route
    }
    assert {"0.005", "0.1", "1.0", "+Inf"} <= buckets


def test_metrics_report_the_ledger_size_and_the_age_of_its_checkpoint(client, registry):
    registry.party()
    registry.party()
    client.get("/api/v1/ledger/checkpoint")  # signs one covering the log
    samples = _samples(client)
    assert samples[("ipx_database_up", frozenset())] == 1
    assert samples[("ipx_ledger_tree_size", frozenset())] == 2
    assert samples[("ipx_ledger_checkpoint_tree_size", frozenset())] == 2
    assert samples[("ipx_ledger_seconds_since_checkpoint", frozenset())] >= 0


def test_metrics_count_idempotent_replays(client, clerk):
    body = {"kind": "organization", "name": "北辰重工有限公司", "credit_code": credit_code()}
    headers = {**clerk, "Idempotency-Key": "replay-me"}
    replays = ("ipx_idempotent_replays_total", frozenset())
    before = _samples(client).get(replays, 0)
    first = client.post("/api/v1/parties", json=body, headers=headers)
    assert _samples(client).get(replays, 0) == before
    again = client.post("/api/v1/parties", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert _samples(client)[replays] == before + 1


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite waits on its busy timeout instead
def test_metrics_count_lock_timeouts(app, client, clerk, registry, db_url):
    asset = registry.asset([registry.party()])
    impatient = create_app({**app.config, "DB_LOCK_TIMEOUT_MS": 200})
    impatient.config["PROPAGATE_EXCEPTIONS"] = False
    row_lock = ("ipx_lock_timeouts_total", frozenset({"lock": "row"}.items()))
    before = _samples(client).get(row_lock, 0)
    holder = create_engine(db_url)
    try:
        with holder.begin() as conn:  # another transaction holds the asset's row
            conn.execute(
                text("SELECT id FROM assets WHERE id = :id FOR UPDATE"), {"id": asset["id"]}
            )
            body = {"court": "上海市浦东新区人民法院", "order_number": "(2026)沪0115执保9号"}
            response = impatient.test_client().post(
                f"/api/v1/assets/{asset['id']}/freezes", json=body, headers=clerk
            )
            assert_problem(response, 503, "lock-timeout")
    finally:
        holder.dispose()
        database(impatient).dispose()
    assert _samples(client)[row_lock] == before + 1


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite waits on its busy timeout instead
def test_metrics_count_an_idempotency_key_held_too_long(app, client, clerk, monkeypatch):
    from tests.api.test_idempotency_transaction import PausedFirst

    impatient = create_app({**app.config, "DB_LOCK_TIMEOUT_MS": 300})
    key_lock = ("ipx_lock_timeouts_total", frozenset({"lock": "idempotency-key"}.items()))
    before = _samples(client).get(key_lock, 0)
    body = {"kind": "organization", "name": "西岭光电有限公司", "credit_code": credit_code()}
    headers = {**clerk, "Idempotency-Key": "held"}
    first = PausedFirst(client, body, headers, monkeypatch)
    try:
        retry = impatient.test_client().post("/api/v1/parties", json=body, headers=headers)
        assert_problem(retry, 409, "idempotency-in-progress")
    finally:
        assert first.resume().status_code == 201
        database(impatient).dispose()
    assert _samples(client)[key_lock] == before + 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_metrics_can_be_turned_off(app):
    without = create_app({**app.config, "METRICS_ENABLED": False})
    assert without.test_client().get("/metrics").status_code == 404
    database(without).dispose()


# Two processes count into one directory, as gunicorn's workers do.
CHILD = """
import sys
from ipx.web.metrics import IDEMPOTENT_REPLAYS, observe_request
for _ in range(int(sys.argv[1])):
    observe_request("/api/v1/parties", "POST", 201, 0.02)
IDEMPOTENT_REPLAYS.inc()
"""


def _count_in(directory: Path, requests: int) -> subprocess.Popen:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(requests)], env=env, cwd=ROOT)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_metrics_of_several_processes_add_up_in_multiprocess_mode(app, tmp_path):
    children = [_count_in(tmp_path, 3), _count_in(tmp_path, 5)]
    assert [child.wait(timeout=60) for child in children] == [0, 0]
    assert len(list(tmp_path.glob("*.db"))) >= 2  # a file per process and kind
    scraper = create_app({**app.config, "METRICS_MULTIPROC_DIR": str(tmp_path)})
    samples = _samples(scraper.test_client())
    assert _count(samples, "/api/v1/parties", "POST") == 8
    assert samples[("ipx_idempotent_replays_total", frozenset())] == 2
    database(scraper).dispose()


# --- a real ipx serve with two workers ---------------------------------------------------------


@pytest.mark.slow
def test_ipx_serve_logs_json_and_adds_up_its_workers_metrics(tmp_path):
    from bench._server import Server, instance_env, run_ipx

    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    # Counts a previous server left behind: emptied when the server starts.
    assert _count_in(metrics_dir, 7).wait(timeout=60) == 0
    env = instance_env(
        f"sqlite:///{tmp_path / 'ipx.sqlite3'}",
        tmp_path / "instance",
        IPX_SESSION_KEY_FILE=str(tmp_path / "instance" / "session.key"),
        IPX_METRICS_DIR=str(metrics_dir),
    )
    run_ipx(["init"], env)
    log = tmp_path / "serve.log"
    sent = [f"probe-{n}" for n in range(40)]
    with Server(env, workers=2, threads=2, log_path=log) as server:

        def probe(ids: list[str]) -> None:
            for request_id in ids:
                request = urllib.request.Request(
                    f"{server.base}/healthz", headers={"X-Request-ID": request_id}
                )
                with urllib.request.urlopen(request, timeout=30) as response:
                    assert response.headers["X-Request-ID"] == request_id

        threads = [threading.Thread(target=probe, args=(sent[i::4],)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with urllib.request.urlopen(f"{server.base}/metrics", timeout=30) as response:
            exposition = response.read().decode()
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }
    assert _count(samples, "/healthz") == len(sent)  # every worker's, none of the stale ones
    written = [line for line in log.read_text().splitlines() if line.strip()]
    lines = [json.loads(line) for line in written]  # every line is JSON, gunicorn's too
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    probes = [line for line in lines if line.get("route") == "/healthz"]
    assert sorted(line["request_id"] for line in probes) == sorted(sent)
    assert {line["status"] for line in probes} == {200}
