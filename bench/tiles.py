"""Tile reads per second: ``GET /api/v1/ledger/tile/0/<N>`` over HTTP against a raw file read.

The app runs in this process on SQLite (a werkzeug thread server on a free loopback port, one
keep-alive connection), over a log of ``--size`` generated leaves bulk-loaded with their nodes
(``bench/ledger.py``); the baseline reads the same bytes from the files ``ipx tiles export``
wrote. Both read every full level-0 tile in random order, ``--reads`` times in all; the bytes
are compared once. Timings are printed, never asserted.

    python bench/tiles.py [--size 100000] [--reads 2000]
"""

from __future__ import annotations

import argparse
import http.client
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger import bulk_load  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from ipx import create_app  # noqa: E402
from ipx.db_ext import database  # noqa: E402
from ipx.ledger import merkle  # noqa: E402
from ipx.ledger.signing import current_checkpoint  # noqa: E402
from ipx.ledger.tiles import Tile  # noqa: E402
from ipx.migrate import upgrade  # noqa: E402
from ipx.ops.tiles_export import export_tiles  # noqa: E402


class _KeepAlive(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_request(self, *args) -> None:
        pass


def sqlite_app(directory: Path, **config):
    """The app on a new SQLite file in ``directory`` (migrated), for an in-process server."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{directory / 'bench.sqlite3'}",
            "SIGNING_KEY_FILE": str(directory / "signing.key"),
            "DIGEST_KEY_FILE": str(directory / "digest.key"),
            "SESSION_KEY_FILE": str(directory / "session.key"),
            "REQUEST_LOG": False,
            "RATE_LIMIT_PUBLIC": "off",
            "CHECKPOINT_EVERY_SECONDS": 3600,
            **config,
        }
    )
    upgrade(database(app).engine)
    return app


class Served:
    """``app`` on a werkzeug thread server (a free loopback port), one keep-alive connection."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_KeepAlive)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.server.server_port)

    def get(self, path: str) -> bytes:
        """The body of ``GET path`` (which must answer 200)."""
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        body = response.read()
        assert response.status == 200, (path, response.status, body[:200])
        return body

    def stop(self) -> None:
        self.connection.close()
        self.server.shutdown()


def measure(size: int, reads: int) -> dict:
    """Tiles/s over HTTP and from the exported files, the same ``reads`` random full tiles."""
    directory = Path(tempfile.mkdtemp())
    app = sqlite_app(directory)
    engine = database(app).engine
    bulk_load(engine, merkle.MemoryTree(), size)
    with app.app_context():
        checkpoint = current_checkpoint(engine, app=app)
    with database(app).sessions() as session:
        export_tiles(session, checkpoint, directory / "export")
    full = size // 256
    paths = [Tile(0, random.randrange(full)).path() for _ in range(reads)]
    served = Served(app)
    try:
        assert (
            served.get(f"/api/v1/ledger/{paths[0]}")
            == (directory / "export" / paths[0]).read_bytes()
        )
        started = time.perf_counter()
        for path in paths:
            served.get(f"/api/v1/ledger/{path}")
        http_seconds = time.perf_counter() - started
    finally:
        served.stop()
    started = time.perf_counter()
    for path in paths:
        (directory / "export" / path).read_bytes()
    file_seconds = time.perf_counter() - started
    return {
        "size": size,
        "tiles": full,
        "reads": reads,
        "http": reads / http_seconds,
        "file": reads / file_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    got = measure(args.size, args.reads)
    print(
        f"tree size {args.size}: {got['tiles']} full level-0 tiles of 8,192 bytes, "
        f"{args.reads} reads"
    )
    print(f"  HTTP (one keep-alive connection): {got['http']:,.0f} tiles/s")
    print(f"  raw file read of the same bytes:  {got['file']:,.0f} tiles/s")


if __name__ == "__main__":
    main()
