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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{directory / 'bench.sqlite3'}",
            "SIGNING_KEY_FILE": str(directory / "signing.key"),
            "DIGEST_KEY_FILE": str(directory / "digest.key"),
            "SESSION_KEY_FILE": str(directory / "session.key"),
            "REQUEST_LOG": False,
            "RATE_LIMIT_PUBLIC": "off",
            "CHECKPOINT_EVERY_SECONDS": 3600,
        }
    )
    engine = database(app).engine
    upgrade(engine)
    bulk_load(engine, merkle.MemoryTree(), args.size)
    with app.app_context():
        checkpoint = current_checkpoint(engine, app=app)
    with database(app).sessions() as session:
        export_tiles(session, checkpoint, directory / "export")
    full = args.size // 256
    order = [random.randrange(full) for _ in range(args.reads)]
    paths = [Tile(0, n).path() for n in order]

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port)

    def get(path: str) -> bytes:
        connection.request("GET", f"/api/v1/ledger/{path}")
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, (path, response.status)
        return body

    assert get(paths[0]) == (directory / "export" / paths[0]).read_bytes()
    started = time.perf_counter()
    for path in paths:
        get(path)
    http_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for path in paths:
        (directory / "export" / path).read_bytes()
    file_seconds = time.perf_counter() - started
    server.shutdown()
    print(f"tree size {args.size}: {full} full level-0 tiles of 8,192 bytes, {args.reads} reads")
    print(f"  HTTP (one keep-alive connection): {args.reads / http_seconds:,.0f} tiles/s")
    print(f"  raw file read of the same bytes:  {args.reads / file_seconds:,.0f} tiles/s")


if __name__ == "__main__":
    main()
