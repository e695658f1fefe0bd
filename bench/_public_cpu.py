"""The CPU one public query costs in-process: the service next to its statements, raw.

    python bench/_public_cpu.py INPUTS.json [--calls 300]      (environment: the instance's)

Run by ``bench/public_query.py`` after its HTTP phase, with the instance's ``IPX_*`` settings.
The service answers through Flask's test client (routing, the use-case runner, the ORM, the
JSON answer; no gunicorn, no sockets); the baseline runs the same statements over the plain
driver (``_public.raw_query``), in the same process, the two alternated in blocks. Process CPU
time, unlike wall time, is little disturbed by other jobs on the machine; on PostgreSQL it
leaves out the server's own work on both sides alike. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

# The repository root after any PYTHONPATH (``--tree``): the ipx of that checkout is the one
# measured.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from bench import _public  # noqa: E402
from ipx import create_app  # noqa: E402

WARM_UP = 20
ROUNDS = 2


def measure(inputs: dict[str, list[list[str]]], calls: int) -> dict[str, dict[str, float]]:
    url = os.environ["IPX_DATABASE_URL"]
    client = create_app().test_client()
    conn = _public.raw_connection(url)
    backend = _public.backend_of(url)

    def service(param: str, value: str) -> None:
        answer = client.get(f"/api/v1/public/encumbrances?{param}={quote(value)}")
        assert answer.status_code == 200, answer.get_json()

    def raw(param: str, value: str) -> None:
        _public.raw_query(conn, backend, param, value)

    found = {}
    for kind, items in inputs.items():
        items = items[: WARM_UP + calls]
        times: dict[str, list[float]] = {"service": [], "raw": []}
        for _ in range(ROUNDS):
            for name, call in (("service", service), ("raw", raw)):
                for i, (param, value) in enumerate(items):
                    start = time.process_time()
                    call(param, value)
                    if i >= WARM_UP:
                        times[name].append(time.process_time() - start)
        service_ms = statistics.median(times["service"]) * 1000
        raw_ms = statistics.median(times["raw"]) * 1000
        found[kind] = {"service_ms": service_ms, "raw_ms": raw_ms, "calls": len(times["raw"])}
    conn.close()
    return found


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", type=Path)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(measure(json.loads(args.inputs.read_text()), args.calls)))
