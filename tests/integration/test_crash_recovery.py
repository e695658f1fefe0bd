"""``ipx serve`` on PostgreSQL, killed with SIGKILL under concurrent registrations, three times.

Clients register pledges without pause (an asset, an application, its registration: each POST
with an ``Idempotency-Key``) and, like any careful client, send a request again with the same
key until they get an answer: through a refused connection while the server is down, a reset
one when it died mid-request, a 503. Three times, every process of the server (the gunicorn
master and its workers) is killed at once with SIGKILL, while requests are in flight, and the
server is started again on the same port and database.

Afterwards: every acknowledged write is there with what its answer said, nothing was done twice
(rows and log events match the acknowledged requests one to one), each acknowledged request
sent again answers exactly as it did, the log and the registration numbers have no gaps, and
``ipx verify`` is clean.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench._server import Server, create_key, instance_env, run_ipx
from tests.conftest import _drop_pg_database, _pg_database
from tests.serve_load import (
    CONNECTION_ERRORS,
    Answer,
    application_body,
    asset_body,
    gapless_registration_numbers,
    get,
    ipx_verify,
    party_body,
    post,
    stored,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CLIENTS = 6
KILLS = 3
#: Acknowledged writes between two kills (and after the last one), so each kill hits load.
ACKS_PER_ROUND = 18
RETRY_FOR_SECONDS = 300
#: What each kind of write's acknowledged body must still say when read back: the fields that
#: never change afterwards (registering an application sets its status, pledge and time).
READ_BACK = {
    "asset": ("/assets/{id}", None),
    "application": ("/pledge-applications/{id}", {"status", "pledge_id", "updated_at"}),
    "pledge": ("/pledges/{id}", None),
}


@dataclass
class Write:
    kind: str
    path: str
    body: dict
    key: str
    answer: Answer | None = None


class Load:
    """Clients registering pledges through one server until told to stop."""

    def __init__(self, server: Server, clerk: str, pledgor: int, pledgee: int) -> None:
        self.server, self.clerk = server, clerk
        self.pledgor, self.pledgee = pledgor, pledgee
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged: list[Write] = []
        self.failures: list[str] = []
        self.connection_errors = 0
        self.threads = [threading.Thread(target=self._client, args=(n,)) for n in range(CLIENTS)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=RETRY_FOR_SECONDS + 60)
        assert not any(thread.is_alive() for thread in self.threads), "a client hung"

    def acks(self) -> int:
        with self.lock:
            return len(self.acknowledged)

    def wait_for_acks(self, count: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while self.acks() < count:
            assert not self.failures, self.failures
            assert time.monotonic() < deadline, f"only {self.acks()} of {count} writes answered"
            time.sleep(0.05)

    def _client(self, n: int) -> None:
        try:
            serial = 0
            while not self.stop.is_set():
                serial += 1
                body = asset_body(self.pledgor, 10_000 * (n + 1) + serial)
                asset = self._send("asset", "/assets", body)
                body = application_body(self.pledgor, self.pledgee, asset, f"JK-CRASH-{n}-{serial}")
                application = self._send("application", "/pledge-applications", body)
                self._send("pledge", f"/pledge-applications/{application}/register", {})
        except Exception as exc:  # noqa: BLE001 - reported by the test, not lost in a thread
            with self.lock:
                self.failures.append(f"client {n}: {exc!r}")

    def _send(self, kind: str, path: str, body: dict) -> int:
        """Send until answered (same key each time); the new record's id."""
        write = Write(kind, path, body, uuid.uuid4().hex)
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        while True:
            try:
                answer = post(self.server.base, self.clerk, path, body, write.key)
            except CONNECTION_ERRORS:
                with self.lock:
                    self.connection_errors += 1
                answer = None
            retry = (
                answer is None
                or answer.status == 503
                or (answer.status == 409 and answer.body.get("code") == "idempotency-in-progress")
            )
            if not retry:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer to {path} in {RETRY_FOR_SECONDS} s")
            time.sleep(0.1)
        write.answer = answer
        with self.lock:
            self.acknowledged.append(write)
        if answer.status != 201:
            raise AssertionError(f"{path} answered {answer.status}: {answer.body}")
        return answer.body["id"]


def _group_pids(group: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            found.append(int(entry.name))
    return found


def _kill_every_server_process(server: Server) -> int:
    """SIGKILL the master and all its workers at once; how many processes that was."""
    group = server.proc.pid  # the server runs in a session (and process group) of its own
    processes = _group_pids(group)
    assert len(processes) >= 1 + server.workers, processes  # the master and its workers
    os.killpg(group, signal.SIGKILL)
    server.proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while _group_pids(group):
        assert time.monotonic() < deadline, f"server processes survived: {_group_pids(group)}"
        time.sleep(0.05)
    return len(processes)


@pytest.fixture
def crashing_server(tmp_path):
    url = _pg_database()
    if url is None:
        pytest.skip("PostgreSQL unreachable (set IPX_REQUIRE_POSTGRES=1 to fail instead)")
    # A killed server cannot remove its metrics directory: one the test owns, reused per start.
    env = instance_env(url, tmp_path / "instance", IPX_METRICS_DIR=str(tmp_path / "metrics"))
    try:
        run_ipx(["init"], env)
        clerk = create_key(env, "clerk")
        with Server(env, workers=2, threads=2, log_path=tmp_path / "serve.log") as server:
            yield server, clerk, env, url
    finally:
        _drop_pg_database(url)


def test_sigkill_of_every_server_process_loses_and_duplicates_no_acknowledged_write(
    crashing_server,
):
    server, clerk, env, url = crashing_server
    pledgor = post(server.base, clerk, "/parties", party_body(1), uuid.uuid4().hex).body["id"]
    pledgee = post(server.base, clerk, "/parties", party_body(2, "浦江商业银行"), None).body["id"]
    load = Load(server, clerk, pledgor, pledgee)
    load.start()
    try:
        for round_ in range(1, KILLS + 1):
            load.wait_for_acks(round_ * ACKS_PER_ROUND)
            errors_before = load.connection_errors
            assert _kill_every_server_process(server) >= 3
            server.start()
            load.wait_for_acks(load.acks() + 1)
            assert load.connection_errors > errors_before, "the kill went unnoticed by clients"
        load.wait_for_acks((KILLS + 1) * ACKS_PER_ROUND)
    finally:
        load.finish()
    assert not load.failures, load.failures
    writes = load.acknowledged

    # Every acknowledged write is there, as its answer said.
    for write in writes:
        template, changing = READ_BACK[write.kind]
        read = get(server.base, clerk, template.format(id=write.answer.body["id"]))
        assert read.status == 200, (write, read)
        common = (read.body.keys() & write.answer.body.keys()) - (changing or set())
        assert common, write
        assert {k: read.body[k] for k in common} == {k: write.answer.body[k] for k in common}

    # None done twice: the records and the log's events match the acknowledged writes one to one.
    facts = stored(url)
    count = {kind: sum(w.kind == kind for w in writes) for kind in READ_BACK}
    assert facts.rows == {
        "parties": 2,
        "assets": count["asset"],
        "pledge_applications": count["application"],
        "pledges": count["pledge"],
    }
    assert facts.event_types["asset.registered"] == count["asset"]
    assert facts.event_types["application.submitted"] == count["application"]
    assert facts.event_types["pledge.registered"] == count["pledge"]
    assert facts.log_seqs == list(range(facts.log_size)), "the log is numbered without gaps"
    assert gapless_registration_numbers(facts.registration_numbers)
    numbers = sorted(w.answer.body["registration_number"] for w in writes if w.kind == "pledge")
    assert numbers == facts.registration_numbers

    # Sent again, every acknowledged request answers exactly as it did.
    for write in writes:
        again = post(server.base, clerk, write.path, write.body, write.key)
        assert (again.status, again.body) == (write.answer.status, write.answer.body), write
        assert again.replayed

    verified = ipx_verify(env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "OK" in verified.stdout
