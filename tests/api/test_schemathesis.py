"""schemathesis over every operation of the served document, as each role and with no key.

The app runs in this process, called through schemathesis' WSGI transport, on a SQLite file
loaded with the sample data (``ipx seed``) and a small cast of records made through the API: a
registered pledge, a defaulted one in disposal, a sold disposal with its statement, a freeze, a
valuation. Each run (a role, or a part of the clerk's phases, see ``PARTS``) starts from its own
copy of that file, and schemathesis' engine runs over every operation of
``/api/v1/openapi.json``: the documented examples, the coverage cases (the clerk, see
``ROLES``), fuzzing, and (with a key) the stateful phase, which follows the document's links
(create a party, then read it; file an application, then register it; ...). Every check is on:
server errors, status codes, content types, headers and bodies against the document, positive
data accepted and negative data refused, auth, undeclared methods. The same seed every run: a
failure reproduces. Afterwards the ledger audit of ``ipx verify`` must be clean.

Two settings say what the document says elsewhere: a schema-valid body may still be refused
(422) for a rule no JSON Schema states (a check character, a party that must exist, one date
after another), and each operation lists those fields in ``x-ipx-rules``: the check
``refusal_names_a_documented_rule`` fails any such 422 whose ``errors`` name another field. And
no text may hold a NUL character (the API's description says so), so valid data has none.

(In process rather than over a socket: the same requests, headers and checks, without an HTTP
server thread, a TCP round trip and a ``requests`` call per request. Two settings keep it what
the socket run was: the transport's auth probes are handed the run's socket options, which
werkzeug's test client does not take (``_in_process``), and schemathesis' analysis of the
app's Python constants, which it does only for an app it is given, stays off, so the generated
cases are the ones a run over HTTP sends. ``schemathesis.engine`` and its events and recorders
are what ``st run`` is built on, not a documented Python API, and they change between minor
releases: pyproject pins the minor version this module was written against.)
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import pytest
import schemathesis
from schemathesis.engine import events, from_schema
from schemathesis.transport.wsgi import WSGI_TRANSPORT

from ipx import create_app
from ipx.db_ext import database
from ipx.instance_keys import load_or_create_secret, load_or_create_signing_key
from ipx.migrate import upgrade
from ipx.ops.seed import seed_samples
from ipx.registry.numbers import make_credit_code, make_patent_number
from ipx.web.api import API_PREFIX
from tests.registry_helpers import app_settings, audit

pytestmark = pytest.mark.slow

#: The phases each role runs. The coverage phase (every boundary and every kind of invalid
#: value of every field and parameter, about 4,400 requests) runs with the clerk's key, which
#: reaches every validation. The other roles meet the same validations behind their 401s, 403s
#: and 404s, and fuzz with valid and invalid data: with no key every answer must be 401, which
#: the fuzzing phase's invalid cases already probe on every operation (with the coverage phase
#: the no-key run took about 40 s more, the longest single test of the suite, to show it again).
#: With no key there is no stateful phase either: it follows links from what a call created,
#: and a call without a key creates nothing (its 25 scenarios were 401s all the way).
EVERY_PHASE = ("examples", "coverage", "fuzzing", "stateful")
ROLES = {
    "clerk": EVERY_PHASE,
    "bank": ("examples", "fuzzing", "stateful"),
    "owner": ("examples", "fuzzing", "stateful"),
    "auditor": ("examples", "fuzzing", "stateful"),
    "none": ("examples", "fuzzing"),
}
#: What each test runs: a role's phases, the clerk's in two parts (in one test, 5,600 requests,
#: the clerk's was the longest test of the suite and ran alone at its end). The examples, the
#: coverage phase and stateful: the links start from the records and the pool of real ids the
#: coverage cases made, as they did in one run (the clerk's chains follow the most links there).
#: Then the examples again and fuzzing (its pool starts with the examples' answers, as for every
#: other role). Each part starts from the seeded records: the second does not see what the
#: first created.
PARTS = {
    "clerk-coverage": ("clerk", ("examples", "coverage", "stateful")),
    "clerk-fuzzing": ("clerk", ("examples", "fuzzing")),
    **{role: (role, phases) for role, phases in ROLES.items() if role != "clerk"},
}
#: Fuzzed cases per operation (the examples and coverage phases add their own), and stateful
#: scenarios per role: the whole module takes about a minute and a half on two cores. Without a
#: key every answer is the same 401 whatever the data, so a few cases per operation probe that
#: as well as ten (each valid and invalid: a 422 before the 401 would show in either).
MAX_EXAMPLES = 10
EXAMPLES_WITHOUT_KEY = 4
SCENARIOS = 25
RULES = "x-ipx-rules"


def _app(directory: Path, database_file: Path):
    return create_app(app_settings(f"sqlite:///{database_file}", directory))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A seeded instance's directory (database file and keys) and the headers of its keys."""
    directory = tmp_path_factory.mktemp("schemathesis")
    app = _app(directory, directory / "seeded.sqlite3")
    upgrade(database(app).engine)  # what `ipx init` does: the tables and the instance keys
    load_or_create_signing_key(app.config["SIGNING_KEY_FILE"])
    load_or_create_secret(app.config["DIGEST_KEY_FILE"])
    seed_samples(app)
    headers = _cast(app)
    database(app).engine.dispose()
    return directory, headers


@pytest.fixture
def instance(seeded, tmp_path):
    """A copy of the seeded instance: (app, headers per role). Each run starts from the same
    records, so it does not depend on the runs before it."""
    directory, headers = seeded
    copy = tmp_path / "ipx.sqlite3"
    with (
        contextlib.closing(sqlite3.connect(directory / "seeded.sqlite3")) as source,
        contextlib.closing(sqlite3.connect(copy)) as target,
    ):
        source.backup(target)
    app = _app(directory, copy)
    request_log = logging.getLogger("ipx.request")  # a line per request, thousands of them
    level = request_log.level
    request_log.setLevel(logging.WARNING)
    try:
        yield app, headers
    finally:
        request_log.setLevel(level)
        database(app).engine.dispose()


def _key(app, role: str, party_id: int | None = None) -> dict:
    from ipx.auth import create_key
    from ipx.uow import utcnow

    with database(app).sessions() as session:
        key = create_key(session, role=role, party_id=party_id, name=f"fuzz {role}", now=utcnow())
        session.commit()
    return {"Authorization": f"Bearer {key}"}


def _cast(app) -> dict[str, dict]:
    """A record of every kind, made through the API; the headers of each role's key (the bank
    and the owner are the cast's pledgee and pledgor)."""
    client, clerk, today = app.test_client(), _key(app, "clerk"), date.today()

    def post(path: str, body: dict | None = None, headers: dict | None = None) -> dict:
        response = client.post(f"{API_PREFIX}{path}", json=body or {}, headers=headers or clerk)
        assert response.status_code in (200, 201), (path, response.get_json())
        return response.get_json()

    def party(name: str, body: str) -> int:
        credit_code = make_credit_code(body)
        return post("/parties", {"kind": "organization", "name": name, "credit_code": credit_code})[
            "id"
        ]

    owner, bank, buyer = (
        party("上海新材科技有限公司", "MA1XK7Q2"),
        party("浦江商业银行", "MA2BNK01"),
        party("临港知识产权运营有限公司", "MA5FBUY0"),
    )
    bank_key, owner_key = _key(app, "bank", bank), _key(app, "owner", owner)
    filing = today - timedelta(days=3 * 365)
    assets = [
        post(
            "/assets",
            {
                "kind": "invention",
                "number": make_patent_number(filing.year, 1, 90_000 + serial),
                "title": "一种固态电池电解质膜及其制备方法",
                "holder_ids": [owner],
                "filing_date": filing.isoformat(),
                "grant_date": (filing + timedelta(days=700)).isoformat(),
                "status": "granted",
                "fees_paid_until": (today + timedelta(days=400)).isoformat(),
                "ipc": "H01M 10/0565",
                "features": {"claims": 12, "backward_citations": 8, "family_size": 3},
            },
        )["id"]
        for serial in range(4)
    ]

    def pledge(asset_id: int) -> dict:
        terms = {
            "pledgor_id": owner,
            "pledgee_id": bank,
            "asset_ids": [asset_id],
            "secured_amount": "1250000.00",
            "debt_start": today.isoformat(),
            "debt_end": (today + timedelta(days=730)).isoformat(),
            "contract_number": "PJ-2026-0815",
        }
        application = post("/pledge-applications", terms, bank_key)
        return post(f"/pledge-applications/{application['id']}/register")

    pledge(assets[0])
    for asset_id in assets[1:3]:
        defaulted = pledge(asset_id)
        debt = {"principal": "1000000.00", "interest": "50000.00", "penalties": "10000.00"}
        post(f"/pledges/{defaulted['id']}/default", debt, bank_key)
        sale = {"method": "auction", "reserve_price": "800000.00", "costs": "20000.00"}
        disposal = post(f"/pledges/{defaulted['id']}/disposals", {**sale, "announcement_days": 0})
    post(f"/disposals/{disposal['id']}/bids", {"bidder_id": buyer, "amount": "900000.00"})
    post(f"/disposals/{disposal['id']}/close")
    post(
        f"/assets/{assets[3]}/freezes",
        {"court": "上海知识产权法院", "order_number": "(2026)沪73执保1号"},
    )
    post("/valuations", {"asset_id": assets[0]}, bank_key)
    post("/ledger/checkpoints")
    return {
        "clerk": clerk,
        "bank": bank_key,
        "owner": owner_key,
        "auditor": _key(app, "auditor"),
        "none": {},
    }


@schemathesis.check
def refusal_names_a_documented_rule(ctx, response, case):
    """A schema-valid request refused as invalid (422) names only fields the operation lists in
    ``x-ipx-rules``, the rules the service checks beyond the schema."""
    meta = case.meta
    if response.status_code != 422 or meta is None or not meta.generation.mode.is_positive:
        return None
    try:
        problem = json.loads(response.content)
    except ValueError:
        return None  # content_type_conformance and response_schema_conformance say why
    rules = case.operation.definition.raw.get(RULES, {})
    named = set(problem.get("errors") or ())
    if problem.get("code") == "idempotency-mismatch":
        named = {"Idempotency-Key"}
    unexplained = sorted((named or {"(no field)"}) - set(rules))
    if unexplained:
        raise AssertionError(
            f"A schema-valid request was refused for {unexplained}, which the operation's "
            f"{RULES} ({sorted(rules)}) do not list: {problem.get('errors')}"
        )
    return True


@dataclass
class Run:
    """What one engine run over the document did."""

    requests: collections.Counter = field(default_factory=collections.Counter)  # per phase
    seconds: dict[str, float] = field(default_factory=dict)  # per phase
    operations: set[str] = field(default_factory=set)  # sent at least one request
    links: str = ""
    followed: collections.Counter = field(default_factory=collections.Counter)  # by link
    failures: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def record(self, recorder, phase: str) -> None:
        self.requests[phase] += len(recorder.interactions)
        if recorder.interactions:
            self.operations.add(recorder.label)
        for node in recorder.cases.values():
            if node.transition is not None and node.is_transition_applied:
                # "POST /api/v1/parties -> [201] GetParty -> GET /api/v1/parties/{party_id}"
                self.followed[node.transition.id.split(" -> ")[1].split("] ")[-1]] += 1
        for checks in recorder.checks.values():
            for check in checks:
                if check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                where = (failure.operation or recorder.label, f"{check.name}: {failure.title}")
                samples = self.failures.setdefault(where, [])
                if len(samples) < 2:
                    samples.append(f"{failure.message}\n{check.failure_info.code_sample}")

    def report(self) -> str:
        lines = [
            f"{operation} | {what}\n    " + "\n    ".join(samples)
            for (operation, what), samples in sorted(self.failures.items())
        ]
        return "\n".join([*lines, *self.errors])


#: What werkzeug's test client has no use for. The WSGI transport drops these when it is handed
#: the run's ``requests`` session, but the auth checks' probes (``ignored_auth`` sends the call
#: again without and with a wrong key) come without one, and werkzeug refuses them.
SOCKET_OPTIONS = ("max_redirects", "verify", "cert", "proxies")


@contextlib.contextmanager
def _in_process() -> Iterator[None]:
    """schemathesis' WSGI transport, taking every call the engine makes (probes included)."""
    send = WSGI_TRANSPORT.send

    def sending(case, *, session=None, **kwargs):
        if session is None:
            for name in SOCKET_OPTIONS:
                kwargs.pop(name, None)
        return send(case, session=session, **kwargs)

    with mock.patch.object(WSGI_TRANSPORT, "send", sending):
        yield


def _run(app, headers: dict, phases: tuple[str, ...], examples: int) -> Run:
    generation = {"allow-x00": False, "database": "none"}
    enabled = {phase: {"enabled": True} for phase in phases}
    if "stateful" in enabled:
        # Sequences of valid calls: invalid data is what the other phases send.
        stateful = {**generation, "max-examples": SCENARIOS, "mode": "positive"}
        enabled["stateful"]["generation"] = stateful
    config = schemathesis.Config.from_dict(
        {
            "headers": headers,
            "phases": {"enabled": False, **enabled},
            "seed": 20261202,  # the same cases on every run: a failure is reproducible
            "continue-on-failure": True,
            "warnings": False,
            # Not the app's Python constants in the data: the cases a client over HTTP is sent.
            "analysis": {"constants": {"enabled": False}},
            "generation": {**generation, "max-examples": examples},
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
                }
            },
        }
    )
    schema = schemathesis.openapi.from_wsgi(f"{API_PREFIX}/openapi.json", app, config=config)
    run, started = Run(), {}
    with _in_process():
        for event in from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                run.record(event.recorder, str(event.phase.value))
            elif isinstance(event, events.PhaseStarted):
                started[event.phase.name] = time.monotonic()
                if event.payload is not None:
                    run.links = f"{event.payload.transitions_selected} links"
            elif isinstance(event, events.PhaseFinished) and event.phase.name in phases:
                elapsed = time.monotonic() - started[event.phase.name]
                run.seconds[str(event.phase.name)] = round(elapsed, 1)
            elif isinstance(event, events.NonFatalError):
                run.errors.append(f"{event.label}: {event.info.title}: {event.value!r}")
            elif isinstance(event, events.FatalError):
                raise event.exception
    return run


@pytest.mark.parametrize("part", PARTS)
def test_every_operation_keeps_to_the_document(instance, part):
    app, headers = instance
    role, phases = PARTS[part]
    documented = app.test_client().get(f"{API_PREFIX}/openapi.json").get_json()["paths"]

    examples = EXAMPLES_WITHOUT_KEY if role == "none" else MAX_EXAMPLES
    run = _run(app, headers[role], phases, examples)

    explicit = {
        name
        for p in documented.values()
        for op in p.values()
        if isinstance(op, dict)
        for r in op.get("responses", {}).values()
        for name in r.get("links", {})
    }
    print(
        f"{part}: {sum(run.requests.values())} requests {dict(run.requests)} in seconds "
        f"{run.seconds}, {run.links}, followed {sum(run.followed.values())} times, the "
        f"document's own {sorted(explicit & set(run.followed))}"
    )
    assert not run.failures and not run.errors, run.report()
    every = {f"{m.upper()} {p}" for p, ops in documented.items() for m in ops if m != "parameters"}
    assert every <= run.operations, every - run.operations
    assert all(run.requests[phase] > 0 for phase in phases), run.requests  # each one ran
    # The clerk may create every record: its chains go furthest.
    if role == "clerk" and "stateful" in phases:
        assert explicit & set(run.followed), "the stateful phase followed no link of the document"
    report = audit(app)
    assert report.ok, report.problems
