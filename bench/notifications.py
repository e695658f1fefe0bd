"""Notifications benchmark: what the outbox costs the registry's writes, and delivery speed.

    python bench/notifications.py [--backends sqlite pg] [--rounds 3] [--lifecycles 120]
                                  [--clients 4] [--deliveries 500] [--tree DIR] [--quick]

- registrations per second over HTTP (``ipx serve``; an asset, its application and its
  registration, as ``bench/registry.py`` counts them), as shipped and with the outbox write
  switched off (``bench/_variant_app.py``'s ``no-outbox``: ``ipx.uow.write_outbox`` does
  nothing), interleaved over ``--rounds`` so drift in the machine hits both alike; three
  subscriptions exist, so every registration is announced. This is ``bench/write_path.py``'s
  measurement at the seeded map, on a scratch SQLite file and PostgreSQL database;
- events written to the outbox per second (rows counted in the shipped runs);
- deliveries per second by one ``Worker`` to a loopback receiver (http.server in a thread), of
  the events ``--deliveries`` / 2 registrations made in-process (two subscriptions want each).
``--quick``: SQLite, 2 rounds of 60, 200 deliveries. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ipx.uow  # noqa: E402
from bench import write_path  # noqa: E402
from ipx import create_app  # noqa: E402
from ipx.auth import create_key  # noqa: E402
from ipx.db_ext import database  # noqa: E402
from ipx.migrate import upgrade  # noqa: E402
from ipx.notify.worker import Worker  # noqa: E402
from tests.notify_helpers import Receiver  # noqa: E402
from tests.registry_helpers import Registry, app_settings  # noqa: E402


def _app(url: str, directory: Path):
    app = create_app(
        {
            **app_settings(url, directory),
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


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "pg"], choices=["sqlite", "pg"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lifecycles", type=int, default=120, help="registrations per run")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--tree", type=Path, default=None, help="serve the ipx of this checkout")
    parser.add_argument("--quick", action="store_true", help="SQLite, 2 rounds of 60")
    args = parser.parse_args(argv)
    args.map_sizes = [0]
    if args.quick:
        args.backends, args.rounds, args.lifecycles, args.deliveries = ["sqlite"], 2, 60, 200
    return args


def deliveries(count: int) -> None:
    """Deliveries/s by one worker, of the events of ``count`` / 2 in-process registrations."""
    directory = Path(tempfile.mkdtemp(prefix="ipx-bench-notify-"))
    app = _app(f"sqlite:///{directory / 'bench.sqlite3'}", directory)
    client = app.test_client()
    registry = Registry(client, _header(app, "clerk"))
    owner, bank = registry.party("华东材料科技股份有限公司"), registry.party("工商银行上海分行")
    receiver = Receiver().start()
    bank_key = _header(app, "bank", bank)
    for events in write_path.SUBSCRIPTIONS:
        body = {"url": receiver.url, "events": events}
        assert client.post("/api/v1/subscriptions", json=body, headers=bank_key).status_code == 201
    _registrations(registry, owner, bank, max(1, count // 2))
    worker = Worker(app)
    worker.dispatch()
    start = time.perf_counter()
    made = 0
    while made < count:
        done = worker.deliver_due(limit=50)
        if not done:
            break
        made += done
    seconds = time.perf_counter() - start
    receiver.stop()
    print(f"deliveries/s to a loopback receiver (one worker): {made / seconds:.1f} ({made} sent)")


def main() -> None:
    args = parse_args()
    write_path.run(args, variants=("shipped", "no-outbox"))
    deliveries(args.deliveries)


if __name__ == "__main__":
    main()
