"""Real concurrent HTTP requests against the app, for race tests.

Each racer has its own connection to a real server thread (werkzeug, threaded), so the requests
really run concurrently in separate database transactions.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from tests.notify_helpers import SHUTDOWN_POLL_SECONDS


@contextmanager
def serving(app) -> Iterator[int]:
    """The app on 127.0.0.1 (a free port) in a background thread; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # (a shutdown is seen at the next poll: 0.5 s by default, waited out by every test)
    poll = {"poll_interval": SHUTDOWN_POLL_SECONDS}
    thread = threading.Thread(target=server.serve_forever, kwargs=poll, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)


def race(port: int, headers: dict, posts: list[tuple[str, dict]]) -> list[tuple[int, dict]]:
    """POST each ``(path, body)`` from its own thread, all released at once by a barrier;
    the ``(status, answer)`` of each, in the order given."""
    barrier = threading.Barrier(len(posts))
    results: list[tuple[int, dict] | None] = [None] * len(posts)

    def post(index: int, path: str, body: dict) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            connection.connect()  # connect first, so the barrier releases requests, not handshakes
            barrier.wait(timeout=60)
            connection.request(
                "POST",
                path,
                body=json.dumps(body).encode(),
                headers={**headers, "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            results[index] = (response.status, json.loads(response.read()))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=(i, path, body)) for i, (path, body) in enumerate(posts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert all(r is not None for r in results), "a racer did not finish"
    return results  # type: ignore[return-value]
