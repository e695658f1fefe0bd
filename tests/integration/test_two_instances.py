"""Two ``ipx serve`` instances on one PostgreSQL database take concurrent registrations.

Two gunicorn servers (separate processes, separate ports, two workers each) share one database
and one set of instance keys, as a deployment behind a load balancer would (docs/deploy.md).
Clients prepare an asset of their own and an application on one of a few contested assets,
each through "its" instance, then all register at once, through both instances. Whatever
instance took a request: exactly one pledge per asset (the others refused with R09), no 5xx,
the log numbered without gaps, registration numbers without gaps, and ``ipx verify`` clean.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest

from bench._server import Server, create_key, instance_env, run_ipx
from tests.conftest import _drop_pg_database, _pg_database
from tests.serve_load import (
    application_body,
    asset_body,
    gapless_registration_numbers,
    ipx_verify,
    party_body,
    post,
    stored,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CLIENTS = 16
CONTESTED = 4


@pytest.fixture
def two_instances(tmp_path):
    """(base urls of two ``ipx serve`` on one fresh database, clerk key, env, database url)."""
    url = _pg_database()
    if url is None:
        pytest.skip("PostgreSQL unreachable (set IPX_REQUIRE_POSTGRES=1 to fail instead)")
    env = instance_env(url, tmp_path / "instance")
    try:
        run_ipx(["init"], env)
        clerk = create_key(env, "clerk")
        with (
            Server(env, workers=2, threads=2, log_path=tmp_path / "serve-a.log") as first,
            Server(env, workers=2, threads=2, log_path=tmp_path / "serve-b.log") as second,
        ):
            assert first.port != second.port and first.proc.pid != second.proc.pid
            yield [first.base, second.base], clerk, env, url
    finally:
        _drop_pg_database(url)


def _created(base: str, clerk: str, path: str, body: dict) -> dict:
    answer = post(base, clerk, path, body, uuid.uuid4().hex)
    assert answer.status == 201, (path, answer)
    return answer.body


def test_two_instances_on_one_database_register_each_asset_once(two_instances):
    bases, clerk, env, url = two_instances
    pledgor = _created(bases[0], clerk, "/parties", party_body(1))["id"]
    pledgee = _created(bases[1], clerk, "/parties", party_body(2, "浦江商业银行"))["id"]
    contested = [
        _created(bases[i % 2], clerk, "/assets", asset_body(pledgor, 100 + i))["id"]
        for i in range(CONTESTED)
    ]

    ready = threading.Barrier(CLIENTS, timeout=300)
    outcomes: list[tuple] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        # Client n talks to instance (n // CONTESTED) % 2: every contested asset is fought
        # over through both instances.
        base = bases[(n // CONTESTED) % 2]
        asset = contested[n % CONTESTED]
        own_asset = _created(base, clerk, "/assets", asset_body(pledgor, 200 + n))["id"]
        applications = {
            "contested": _created(
                base,
                clerk,
                "/pledge-applications",
                application_body(pledgor, pledgee, asset, f"JK-TWO-{n:02d}"),
            )["id"],
            "own": _created(
                base,
                clerk,
                "/pledge-applications",
                application_body(pledgor, pledgee, own_asset, f"JK-OWN-{n:02d}"),
            )["id"],
        }
        ready.wait()
        for kind in ("contested", "own"):
            path = f"/pledge-applications/{applications[kind]}/register"
            answer = post(base, clerk, path, {}, uuid.uuid4().hex)
            with lock:
                outcomes.append((kind, asset if kind == "contested" else own_asset, answer))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads)
    assert len(outcomes) == 2 * CLIENTS, "a client failed before registering (see its error)"

    assert all(answer.status < 500 for _, _, answer in outcomes), outcomes
    own = [answer.status for kind, _, answer in outcomes if kind == "own"]
    assert own == [201] * CLIENTS
    winners: Counter = Counter()
    for kind, asset, answer in outcomes:
        if kind != "contested":
            continue
        if answer.status == 201:
            winners[asset] += 1
        else:
            assert answer.status == 409, answer
            assert answer.body["code"] == "registration-refused", answer
            assert [g["code"] for g in answer.body["grounds"]] == ["R09"], answer
    assert winners == Counter({asset: 1 for asset in contested})

    facts = stored(url)
    assert facts.log_seqs == list(range(facts.log_size)), "the log is numbered without gaps"
    assert set(facts.active_pledges_per_asset.values()) == {1}
    assert set(facts.pledges_per_asset.values()) == {1}, "exactly one pledge per asset"
    assert len(facts.pledges_per_asset) == CONTESTED + CLIENTS
    assert facts.event_types["pledge.registered"] == CONTESTED + CLIENTS
    assert gapless_registration_numbers(facts.registration_numbers), facts.registration_numbers
    acknowledged = sorted(
        answer.body["registration_number"] for _, _, answer in outcomes if answer.status == 201
    )
    assert acknowledged == facts.registration_numbers

    verified = ipx_verify(env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "OK" in verified.stdout
