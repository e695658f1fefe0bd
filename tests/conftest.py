"""Fixtures: the app on SQLite and on PostgreSQL, clients, keys and sample records.

Database tests run once per backend. PostgreSQL is reached at ``IPX_TEST_POSTGRES_URL``
(default: the local server's ``test`` database); each test process works in a database of its
own, created and dropped here. When the server is unreachable the PostgreSQL runs are skipped,
unless ``IPX_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), which turns that into a failure.
"""

from __future__ import annotations

import functools
import gc
import os
import uuid
from dataclasses import dataclass

import pytest
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import create_engine, event, text

from ipx import create_app
from ipx.db import Base
from ipx.db_ext import database
from ipx.migrate import upgrade
from tests.registry_helpers import app_settings

PG_ADMIN_URL = os.environ.get(
    "IPX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("IPX_REQUIRE_POSTGRES") == "1"

# Console logins hash with Argon2id; 64 MiB per check makes a suite of logins take minutes.
# Set before anything hashes (server subprocesses inherit it). Production keeps the default.
os.environ.setdefault("IPX_ARGON2_MEMORY_KIB", "1024")
# The servers the suite starts (``ipx serve`` subprocesses) load the valuation model on their
# first valuation, not each worker at its start (about 2 s of CPU a worker; the server tests
# register, kill and restart, and rarely value). Preloading itself is tested in process.
os.environ.setdefault("IPX_PRELOAD_MODEL", "0")


def _share_url_builders() -> None:
    """Build each URL rule's ``url_for`` function once per process, not once per app.

    Werkzeug generates and compiles two small Python functions for every rule it binds; with
    115 rules that is about 60 % of ``create_app``, and the suite makes an app per test. The
    generated code depends only on the rule's parsed parts (``_trace``) and on whether unknown
    arguments are appended (a rule with ``defaults`` also folds those in, so those are left
    alone); the function is bound to its rule afterwards, so sharing it is exact. Tests only:
    production makes one app per process.
    """
    from werkzeug.routing.rules import Rule

    build = Rule._compile_builder
    shared: dict[tuple, object] = {}

    def compile_builder(self, append_unknown: bool = True):
        if self.defaults:
            return build(self, append_unknown)
        key = (tuple(self._trace), append_unknown)
        if key not in shared:
            shared[key] = build(self, append_unknown)
        return shared[key]

    Rule._compile_builder = compile_builder


_share_url_builders()


def _share_rule_compiling() -> None:
    """Compile each URL rule once per process: its parts, converters and arguments.

    Binding a rule parses its text (a match of werkzeug's rule grammar per segment, a converter
    per variable, a weighting per part); with about 130 rules that was half of ``create_app``.
    What ``Rule.compile`` makes depends only on the rule's text, its slash merging, the host or
    subdomain it is matched on and the map's converter classes, so a rule with the same of all
    of those takes copies of the first one's lists, sharing their items (``RulePart`` objects,
    which werkzeug reads and never changes; converters, which keep their arguments and a
    reference to the map they were made for, which no converter here reads), its variables as
    arguments, and its builders, made as before (``_share_url_builders``). Tests only.
    """
    from werkzeug.routing.rules import Rule

    compile_rule = Rule.compile
    if getattr(compile_rule, "shared", False):  # already shared (the module imported twice)
        return
    compiled: dict[tuple, tuple] = {}

    def compile(self) -> None:
        url_map = self.map
        key = (
            self.rule,
            self.merge_slashes,
            url_map.host_matching,
            (self.host if url_map.host_matching else self.subdomain) or "",
            tuple(sorted(url_map.converters.items())),
        )
        known = compiled.get(key)
        if known is None:
            compile_rule(self)
            compiled[key] = (tuple(self._parts), tuple(self._trace), dict(self._converters))
            return
        parts, trace, converters = known
        self._parts, self._trace, self._converters = list(parts), list(trace), dict(converters)
        self.arguments |= set(converters)  # what parsing adds: the rule's variables
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    compile.shared = True  # type: ignore[attr-defined]
    compile.original = compile_rule  # type: ignore[attr-defined]  (tests/unit/test_shared_compiles.py)
    Rule.compile = compile


_share_rule_compiling()


def _share_engines() -> None:
    """One engine per database URL (and engine settings) per test process, not one per app.

    SQLAlchemy caches each statement's compiled form per engine: an app per test with an
    engine of its own compiled every statement of the request path and of the ledger audit
    again in every test. No transaction or lock outlives its test (a connection returns to the
    pool rolled back), and the ``app`` fixture closes the connections after each test but on
    PostgreSQL (``_release_connections``). Tests only: production makes one app, hence one
    engine, per process.
    """
    import ipx.db_ext

    ipx.db_ext.create_db_engine = functools.cache(ipx.db_ext.create_db_engine)


_share_engines()


class _SharedTemplateCode(BytecodeCache):
    """Jinja's bytecode cache (its own mechanism for skipping a template's parse and compile),
    in memory and shared by every app of the process. A template is found by its name, its
    file, the checksum of its source (jinja's ``Bucket`` reloads when the source differs) and
    the settings its code is generated under (an environment with other extensions or syntax
    never sees another's code)."""

    def __init__(self) -> None:
        self._code: dict[tuple, bytes] = {}

    def get_bucket(self, environment, name, filename, source) -> Bucket:
        key = (self.get_cache_key(name, filename), _code_settings(environment, name))
        bucket = Bucket(environment, repr(key), self.get_source_checksum(source))
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])
        return bucket

    def set_bucket(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()

    def load_bytecode(self, bucket: Bucket) -> None:  # get_bucket reads the dict itself
        raise NotImplementedError

    def dump_bytecode(self, bucket: Bucket) -> None:
        raise NotImplementedError


def _code_settings(environment, name: str) -> tuple:
    """What a template's generated code depends on besides its source."""
    autoescape = environment.autoescape
    return (
        type(environment),
        environment.code_generator_class,
        autoescape(name) if callable(autoescape) else autoescape,
        environment.is_async,
        tuple(sorted(environment.extensions)),
        *(getattr(environment, option) for option in _SYNTAX_OPTIONS),
        environment.optimized,
        id(environment.finalize),
        # filters and tests by function (the code calls each by its kind; constant folding
        # calls some at compile time), and the i18n extension's settings
        tuple(sorted((name, id(f)) for name, f in environment.filters.items())),
        tuple(sorted((name, id(f)) for name, f in environment.tests.items())),
        getattr(environment, "newstyle_gettext", None),
        environment.policies.get("ext.i18n.trimmed"),
    )


_SYNTAX_OPTIONS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
)


def _share_compiled_templates() -> None:
    """Compile each console template once per test process, not once per app.

    Every app has a Jinja environment of its own, and a console test's first render of each
    template parsed it and compiled it to Python (about 4 % of the API tests' time). With the
    shared bytecode cache the second app's environment loads the code object instead. Tests
    only: production makes one app, hence one environment, per process."""
    from flask import Flask

    create = Flask.create_jinja_environment
    shared = _SharedTemplateCode()

    def create_jinja_environment(self):
        environment = create(self)
        environment.bytecode_cache = shared
        return environment

    Flask.create_jinja_environment = create_jinja_environment


_share_compiled_templates()


def _collect_garbage_in_bigger_steps() -> None:
    """Run the cyclic garbage collector less often in the test processes.

    Each test makes an app, and an app is a web of reference cycles (blueprints, rules, schemas,
    sessions) that only the cyclic collector frees. With CPython's defaults (a young collection
    every 700 net allocations, a full one every hundred or so) the collector took a tenth of a
    test process's time, most of it in full collections walking every object of the process:
    the modules, the collected tests, the parsed OpenAPI document, several hundred thousand
    objects that live until the end. Here a young collection runs every 10,000 net
    allocations, and what is alive once the process is warm (after its collection and after
    its first, tenth and hundredth test) is frozen out of the full collections' way
    (``gc.freeze``, right after a full collection, so only live objects are frozen: the
    process's lasting state, and at most the fixtures of the module then running, which stay
    in memory). Every test's garbage is still freed, in fewer steps. Tests only: ``ipx serve``
    and the other commands the suite starts keep the defaults.
    """
    gc.set_threshold(10_000, 10, 10)


_collect_garbage_in_bigger_steps()
_FREEZE_AFTER_TESTS = {1, 10, 100}
_tests_run = 0


def _freeze_what_lives() -> None:
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config, items) -> None:
    """The long tests first (``slow``: schemathesis, the races, the servers; ``browser``), in
    their order, then the rest in theirs. xdist's work stealing hands each worker a contiguous
    part of this order, and a worker that runs dry steals from the end of another's queue, which
    always keeps its next tests: a long test near the end of a part kept one worker busy while
    the other had nothing left to take (two schemathesis runs, the last 24 s of one run). Now
    the first worker starts on the long block, the second takes short tests from the end and
    the end of a run is short tests on both (0.1 s apart in the next run), as long as the long
    block is under half the suite's work (here just under: with more, the end would again be
    the last long tests, as before)."""
    items.sort(key=lambda item: not _is_long(item))  # (a stable sort)


def _is_long(item) -> bool:
    return any(item.get_closest_marker(name) for name in ("slow", "browser"))


def pytest_collection_finish(session) -> None:
    _freeze_what_lives()  # see _collect_garbage_in_bigger_steps


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    global _tests_run
    try:
        return (yield)
    finally:
        _tests_run += 1
        if _tests_run in _FREEZE_AFTER_TESTS:  # warm: lazy imports, caches, the document
            _freeze_what_lives()


def _pg_database() -> str | None:
    """Create this process's PostgreSQL test database; None when the server is unreachable."""
    name = f"ipx_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        if REQUIRE_PG:
            raise RuntimeError(f"PostgreSQL is required but unreachable: {exc}") from exc
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url():
    url = _pg_database()
    if url is None:
        pytest.skip("PostgreSQL unreachable (set IPX_REQUIRE_POSTGRES=1 to fail instead)")
    _commit_without_waiting_for_the_disk(url)
    yield url
    _drop_pg_database(url)


def _commit_without_waiting_for_the_disk(url: str) -> None:
    """The ``app`` fixture's database answers a commit before its WAL reaches the disk
    (``synchronous_commit = off``): every write of every test commits, and the server stays
    up, so nothing a test can see changes; only a crash of PostgreSQL itself could lose the
    last commits, of a database dropped at the end anyway. The databases the server and
    replica tests make for themselves (``_pg_database``) keep the default."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'ipx.sqlite3'}"


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("instance")


_migrated: set[str] = set()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def db_url(backend, request):
    return request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")


@pytest.fixture
def app(db_url, instance_dir):
    app = create_app(app_settings(db_url, instance_dir))
    engine = database(app).engine
    if db_url not in _migrated:
        upgrade(engine)
        _migrated.add(db_url)
    _watch_invalidations(engine)
    yield app
    try:
        _empty_tables(engine)
    finally:
        _release_connections(engine)


#: Engines whose pool invalidated a connection during the current test (each engine lives as
#: long as the process: ``_share_engines``).
_invalidated: set[int] = set()


def _release_connections(engine) -> None:
    """Close the test's SQLite connections; keep PostgreSQL's for the next test.

    A new PostgreSQL connection is a new server process, which must load the catalog entries
    of every table and index it touches again; reusing the engine's pooled connections made
    the database-heavy API tests 12-16 % faster. What a test could leave on one: a transaction
    (SQLAlchemy rolls it back when the connection returns to the pool), session settings (the
    app sets them when it connects, the same for every app of the engine), prepared statements
    (PostgreSQL plans them again when a table they read is dropped and made again, as the
    migration tests do, with the same row types), and a connection the server dropped: a pool
    that invalidated one during the test is disposed, so the next test starts on new ones.
    SQLite connections are in-process and cheap, and a test may replace the database file
    under them: closed."""
    if engine.dialect.name != "postgresql" or id(engine) in _invalidated:
        _invalidated.discard(id(engine))
        engine.dispose()


def _watch_invalidations(engine) -> None:
    if not getattr(engine, "_tests_watch_invalidations", False):
        engine._tests_watch_invalidations = True
        event.listen(engine, "invalidate", lambda *_: _invalidated.add(id(engine)))


def _empty_tables(engine) -> None:
    """Delete every row (children first). On PostgreSQL the session acts as a replica so the
    log's append-only triggers, which guard against everyone else, let the fixture clean up;
    DELETE on these small tables is much faster than TRUNCATE."""
    deletes = [f"DELETE FROM {t.name}" for t in reversed(Base.metadata.sorted_tables)]
    reset = "INSERT INTO ledger_head (id, size) VALUES (1, 0)"
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # one round trip: psycopg sends statements without parameters as one script
            script = ["SET LOCAL session_replication_role = replica", *deletes, reset]
            conn.exec_driver_sql("; ".join(script))
        else:  # in process: a call per statement costs no round trip
            for statement in [*deletes, reset]:
                conn.exec_driver_sql(statement)


@pytest.fixture
def client(app):
    """The test client; every JSON answer is checked against the OpenAPI document."""
    from tests.contract import ContractClient

    app.test_client_class = ContractClient
    return app.test_client()


@dataclass
class Keys:
    """API keys for each role, made directly in the database."""

    app: object

    def header(self, role: str, party_id: int | None = None) -> dict:
        from ipx.auth import create_key
        from ipx.uow import utcnow

        with database(self.app).sessions() as session:
            key = create_key(
                session, role=role, party_id=party_id, name=f"test {role}", now=utcnow()
            )
            session.commit()
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def keys(app):
    return Keys(app)


@pytest.fixture
def clerk(keys):
    return keys.header("clerk")


@pytest.fixture
def registry(client, clerk):
    from tests.registry_helpers import Registry

    return Registry(client, clerk)


def registry_key(app) -> bytes:
    """The instance's digest key (identity numbers, record states) for tests that recompute."""
    from ipx.instance_keys import registry_digest_key

    return registry_digest_key(app.config["DIGEST_KEY_FILE"])
