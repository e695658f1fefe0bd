"""Rate limits on what anyone may call without a key: the public query (API and console page,
one budget) and the console's login POSTs, per client address; 429 with ``Retry-After``.

The limits here are tiny (3 per minute): a test makes its requests well inside one window.
Counts live in memory by default, per process (each worker has the whole budget), and in Redis
when ``REDIS_URL`` is set, shared then by every app (worker, instance) that uses the same Redis.
The Redis tests use the local server (127.0.0.1:6379) and skip when it is unreachable, unless
``IPX_REQUIRE_REDIS=1`` (set by ``.ci/run``), which turns that into a failure.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from limits.storage import MemoryStorage, RedisStorage

from ipx import create_app
from ipx.config import load_config
from ipx.db_ext import database
from tests.console_helpers import post_login
from tests.registry_helpers import assert_problem

PUBLIC = "/api/v1/public/encumbrances?number=ZL202110355218.9"
REDIS_URL = "redis://127.0.0.1:6379/0"
REQUIRE_REDIS = os.environ.get("IPX_REQUIRE_REDIS") == "1"


@pytest.fixture
def backend():
    return "sqlite"  # the counts are not the database's: one backend is enough


@pytest.fixture
def limited(app):
    """The fixture's app with 3 public queries and 3 login POSTs per minute and address."""
    limited = create_app(
        {**app.config, "RATE_LIMIT_PUBLIC": "3 per minute", "RATE_LIMIT_LOGIN": "3 per minute"}
    )
    yield limited
    database(limited).dispose()


def _client(app):
    from tests.contract import ContractClient

    app.test_client_class = ContractClient  # the 429 must be what the document says
    return app.test_client()


def _retry_after(response) -> int:
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 61
    return seconds


def test_the_public_query_answers_429_rate_limited_past_its_limit(limited):
    client = _client(limited)
    assert [client.get(PUBLIC).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(PUBLIC)
    problem = assert_problem(refused, 429, "rate-limited")
    assert problem["type"] == "https://ipx.example/problems/rate-limited"
    _retry_after(refused)


def test_the_429_is_in_the_public_querys_openapi_operation(limited):
    document = _client(limited).get("/api/v1/openapi.json").get_json()
    answer = document["paths"]["/api/v1/public/encumbrances"]["get"]["responses"]["429"]
    assert "application/problem+json" in answer["content"]
    assert "Retry-After" in answer["headers"]


def test_the_api_and_the_console_page_share_one_public_budget(limited):
    client = _client(limited)
    assert client.get(PUBLIC).status_code == 200
    assert client.get("/console/public?q=ZL202110355218.9").status_code == 200
    assert client.get(PUBLIC).status_code == 200
    assert client.get("/console/public").status_code == 429


@pytest.mark.parametrize(
    "language,title", [("zh", "请求过于频繁，请稍候再试。"), ("en", "Too many requests.")]
)
def test_the_console_answers_a_429_page_in_the_visitors_language(limited, language, title):
    client = _client(limited)
    for _ in range(3):
        assert client.get(f"/console/public?lang={language}").status_code == 200
    refused = client.get(f"/console/public?lang={language}")
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert title in refused.get_data(as_text=True)
    _retry_after(refused)


def test_console_login_posts_are_limited_and_the_form_still_opens(limited):
    client = _client(limited)
    for attempt in range(3):
        assert post_login(client, "nobody", f"guess {attempt}").status_code == 200  # refused
    assert post_login(client, "nobody", "guess 4").status_code == 429
    assert client.get("/console/login").status_code == 200  # only POSTs are counted


def test_other_calls_are_not_limited(limited):
    client = _client(limited)
    statuses = {client.get("/api/v1/ledger/checkpoint").status_code for _ in range(6)}
    assert statuses == {200}


def test_each_client_address_has_its_own_budget(limited):
    client = _client(limited)
    first = {"REMOTE_ADDR": "198.51.100.7"}
    for _ in range(3):
        client.get(PUBLIC, environ_base=first)
    assert client.get(PUBLIC, environ_base=first).status_code == 429
    assert client.get(PUBLIC, environ_base={"REMOTE_ADDR": "198.51.100.8"}).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_counts(app):
    behind = create_app({**app.config, "RATE_LIMIT_PUBLIC": "3 per minute", "TRUSTED_PROXIES": 1})
    client = _client(behind)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(3):
        client.get(PUBLIC, environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.5"})
    again = client.get(PUBLIC, environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.5"})
    assert again.status_code == 429
    other = client.get(PUBLIC, environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.6"})
    assert other.status_code == 200
    database(behind).dispose()


def test_a_limit_set_to_off_does_not_limit(app):
    unlimited = create_app({**app.config, "RATE_LIMIT_PUBLIC": "off"})
    client = _client(unlimited)
    assert {client.get(PUBLIC).status_code for _ in range(8)} == {200}
    database(unlimited).dispose()


def test_the_limits_and_the_redis_url_are_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("IPX_RATE_LIMIT_PUBLIC", "30 per minute;500 per day")
    monkeypatch.setenv("IPX_RATE_LIMIT_LOGIN", "5 per minute")
    monkeypatch.setenv("IPX_REDIS_URL", REDIS_URL)
    config = load_config(tmp_path)
    assert config["RATE_LIMIT_PUBLIC"] == "30 per minute;500 per day"
    assert config["RATE_LIMIT_LOGIN"] == "5 per minute"
    assert config["REDIS_URL"] == REDIS_URL
    monkeypatch.delenv("IPX_REDIS_URL")
    assert load_config(tmp_path)["REDIS_URL"] is None  # memory, per process


def test_without_redis_each_worker_counts_alone(app):
    """Two apps (two workers, or instances) without ``REDIS_URL``: each has the whole budget,
    so the service as a whole allows the limit times the processes."""
    settings = {**app.config, "REDIS_URL": None, "RATE_LIMIT_PUBLIC": "3 per minute"}
    first, second = create_app(settings), create_app(settings)
    try:
        assert isinstance(first.extensions["ipx.limiter"].storage, MemoryStorage)
        one, other = _client(first), _client(second)
        assert [one.get(PUBLIC).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert [other.get(PUBLIC).status_code for _ in range(4)] == [200, 200, 200, 429]
    finally:
        database(first).dispose()
        database(second).dispose()


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the local Redis; its keys are deleted afterwards."""
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError as exc:
        if REQUIRE_REDIS:
            pytest.fail(f"Redis is required (IPX_REQUIRE_REDIS=1) but unreachable: {exc}")
        pytest.skip("Redis unreachable at 127.0.0.1:6379 (set IPX_REQUIRE_REDIS=1 to fail instead)")
    prefix = f"ipx-test-{uuid.uuid4().hex}"
    yield prefix, connection
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    connection.close()


def test_with_redis_two_apps_share_one_budget(app, redis_prefix):
    prefix, connection = redis_prefix
    settings = {
        **app.config,
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATE_LIMIT_PUBLIC": "3 per minute",
    }
    first, second = create_app(settings), create_app(settings)  # two workers, or instances
    assert isinstance(first.extensions["ipx.limiter"].storage, RedisStorage)
    one, other = _client(first), _client(second)
    assert [one.get(PUBLIC).status_code, other.get(PUBLIC).status_code] == [200, 200]
    assert one.get(PUBLIC).status_code == 200
    assert list(connection.scan_iter(f"*{prefix}*"))  # counted in Redis
    assert_problem(other.get(PUBLIC), 429, "rate-limited")
    database(first).dispose()
    database(second).dispose()


def test_while_redis_is_unreachable_each_process_counts_in_memory(app):
    from bench._server import free_port

    settings = {**app.config, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    cut_off = create_app({**settings, "RATE_LIMIT_PUBLIC": "3 per minute"})
    # the fallback store exists only beside Redis (without it the counts are in memory already)
    assert cut_off.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is False
    client = _client(cut_off)
    assert [client.get(PUBLIC).status_code for _ in range(4)] == [200, 200, 200, 429]
    database(cut_off).dispose()
