"""Notifications benchmark: what the outbox costs the registry's writes, and delivery speed.

    python bench/notifications.py [--lifecycles 200] [--rounds 3] [--deliveries 500] [--pg URL]

On a scratch database (SQLite by default; ``--pg`` a PostgreSQL database to create tables in):
- registrations per second through the whole WSGI stack (Flask test client: routing, auth,
  schemas, use case, ledger append, commit; no socket), each lifecycle an asset, an application
  and its registration, with the outbox hook on and off (``ipx.uow.write_outbox`` replaced by
  a no-op), interleaved over ``--rounds`` so drift in the machine hits both alike; three
  subscriptions exist, so every registration is announced;
- events written to the outbox per second (the same runs: one event per registration);
- deliveries per second by one ``Worker`` to a loopback receiver (http.server in a thread).
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ipx.uow  # noqa: E402
from ipx import create_app  # noqa: E402
from ipx.auth import create_key  # noqa: E402
from ipx.db_ext import database  # noqa: E402
from ipx.migrate import upgrade  # noqa: E402
from ipx.notify.worker import Worker  # noqa: E402
from tests.notify_helpers import Receiver  # noqa: E402
from tests.registry_helpers import Registry  # noqa: E402


def _app(url: str, directory: Path):
    app = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "SIGNING_KEY_FILE": str(directory / "signing.key"),
            "DIGEST_KEY_FILE": str(directory / "digest.key"),
            "SESSION_KEY_FILE": str(directory / "session.key"),
            "CHECKPOINT_EVERY_SECONDS": 0,
            "WEBHOOK_ALLOW_LOOPBACK": True,
            "WEBHOOK_RETRY_SCHEDULE": (0, 0),
            "REQUEST_LOG": False,
        }
    )
    upgrade(database(app).engine)
    return app


def _header(app, role: str, party_id: int | None = None) -> dict:
    with database(app).sessions() as session:
        key = create_key(session, role=role, party_id=party_id, name="bench", now=ipx.uow.utcnow())
        session.commit()
    return {"Authorization": f"Bearer {key}"}


def _registrations(registry: Registry, owner: int, bank: int, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        asset = registry.asset([owner])
        registry.pledge(owner, bank, [asset["id"]])
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--pg", help="a PostgreSQL URL (an empty database)")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="ipx-bench-notify-"))
    url = args.pg or f"sqlite:///{directory / 'bench.sqlite3'}"
    app = _app(url, directory)
    client = app.test_client()
    registry = Registry(client, _header(app, "clerk"))
    owner, bank = registry.party("华东材料科技股份有限公司"), registry.party("工商银行上海分行")
    receiver = Receiver().start()
    bank_key = _header(app, "bank", bank)
    for events in (
        ["pledge.registered"],
        ["pledge.registered", "asset.frozen"],
        ["pledge.changed"],
    ):
        body = {"url": receiver.url, "events": events}
        assert client.post("/api/v1/subscriptions", json=body, headers=bank_key).status_code == 201
    hook = ipx.uow.write_outbox
    rates: dict[str, list[float]] = {"on": [], "off": []}
    _registrations(registry, owner, bank, 10)  # warm up
    try:
        for _ in range(args.rounds):
            for mode in ("off", "on"):
                ipx.uow.write_outbox = hook if mode == "on" else (lambda *a, **k: 0)
                rates[mode].append(_registrations(registry, owner, bank, args.lifecycles))
    finally:
        ipx.uow.write_outbox = hook
    on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
    print(f"backend: {database(app).engine.dialect.name}")
    print(
        f"registrations/s, outbox off: {off:.1f}  on: {on:.1f}  cost: {100 * (1 - on / off):.1f} %"
    )
    print(
        f"  (runs off: {[round(r, 1) for r in rates['off']]}, "
        f"on: {[round(r, 1) for r in rates['on']]})"
    )
    print(f"outbox events written/s (one per registration): {on:.1f}")
    worker = Worker(app)
    worker.dispatch()
    # The events of the runs above: two of the subscriptions want each registration.
    start = time.perf_counter()
    made = 0
    while made < args.deliveries:
        done = worker.deliver_due(limit=50)
        if not done:
            break
        made += done
    seconds = time.perf_counter() - start
    receiver.stop()
    print(f"deliveries/s to a loopback receiver (one worker): {made / seconds:.1f} ({made} sent)")


if __name__ == "__main__":
    main()
