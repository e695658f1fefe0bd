"""Where a registration's time goes with and without the map of encumbrances: its SQL statements.

    python bench/map_profile.py [--size 100000] [--registrations 40] [--pg URL]

In-process (Flask test client) on a scratch SQLite file, or ``--pg`` an empty PostgreSQL
database, with a GENERATED map of ``--size`` pledged assets (``bench/encumbrance_map.py``'s
loader): registrations (asset + application + register), alternating the map update on and
off (``ipx.ledger.encumbrance_map.plan_appended`` a no-op), every SQL statement of the
three requests timed (SQLAlchemy cursor events). Prints, per mode, the wall time of one
registration and the statements that take its time, grouped by verb and table.
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import event, text  # noqa: E402

import ipx.ledger.encumbrance_map  # noqa: E402
from bench import encumbrance_map as map_bench  # noqa: E402
from bench.notifications import _app, _header  # noqa: E402
from bench.write_path import FIRST_GENERATED_ID  # noqa: E402
from ipx.db_ext import database  # noqa: E402
from tests.registry_helpers import Registry  # noqa: E402


class Statements:
    """Times of the statements run while ``active`` (grouped by a short shape of the SQL)."""

    def __init__(self, engine) -> None:
        self.active = False
        self.spent: dict[str, list[float]] = defaultdict(list)
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, *args) -> None:
        conn.info["started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, *args) -> None:
        if self.active:
            self.spent[_shape(statement)].append(time.perf_counter() - conn.info["started"])

    def wrap(self, fn, name: str | None = None):
        """``fn`` timed while active: under ``name``, else by the shape of its SQL argument
        (the map's statements go to the DBAPI cursor, past SQLAlchemy's events)."""

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                if self.active:
                    shape = name or f"{_shape(args[1])} (map, driver level)"
                    self.spent[shape].append(time.perf_counter() - started)

        return timed


def _shape(statement: str) -> str:
    words = re.sub(r"\s+", " ", statement).strip()
    table = re.search(r"\b(?:FROM|INTO|UPDATE|JOIN)\s+\"?(\w+)", words, re.IGNORECASE)
    return f"{words.split(' ', 1)[0].upper()} {table.group(1) if table else words[:40]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--registrations", type=int, default=40)
    parser.add_argument("--pg", help="an empty PostgreSQL database URL")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="ipx-bench-map-profile-"))
    app = _app(args.pg or f"sqlite:///{directory / 'bench.sqlite3'}", directory)
    engine = database(app).engine
    registry = Registry(app.test_client(), _header(app, "clerk"))
    owner, bank = registry.party("华东材料科技股份有限公司"), registry.party("工商银行上海分行")
    with engine.begin() as conn:
        for table in ("encumbrance_map_pages", "encumbrance_map_assets", "encumbrance_map_roots"):
            conn.execute(text(f"DELETE FROM {table}"))
    map_bench.load(engine, args.size, first_id=FIRST_GENERATED_ID)
    statements = Statements(engine)
    maps = ipx.ledger.encumbrance_map
    # The map's statements run on the driver's cursor on both backends, past the cursor events.
    maps._execute = statements.wrap(maps._execute)
    original = statements.wrap(maps.plan_appended, "== the map update (plan_appended) ==")
    walls: dict[str, list[float]] = {"map on": [], "map off": []}
    spent: dict[str, dict[str, list[float]]] = {mode: defaultdict(list) for mode in walls}
    for n in range(2 * args.registrations + 2):
        mode = "map on" if (n // 2 + n) % 2 == 0 else "map off"
        off = lambda *a, **k: None  # noqa: E731
        ipx.ledger.encumbrance_map.plan_appended = original if mode == "map on" else off
        statements.spent.clear()
        statements.active = True
        started = time.perf_counter()
        asset = registry.asset([owner])  # asset.registered: the map learns its key
        registry.pledge(owner, bank, [asset["id"]])  # the application, then pledge.registered
        wall = time.perf_counter() - started
        statements.active = False
        if n >= 2:  # the first two warm up
            walls[mode].append(wall)
            for shape, times in statements.spent.items():
                spent[mode][shape].append(sum(times))
    ipx.ledger.encumbrance_map.plan_appended = original
    print(f"{engine.dialect.name}, map of {args.size:,} generated assets, in-process")
    for mode, times in walls.items():
        print(f"\n{mode}: registration median {1000 * statistics.median(times):.2f} ms")
        rows = sorted(spent[mode].items(), key=lambda kv: -sum(kv[1]))
        total = sum(sum(each) for shape, each in rows if "==" not in shape) / len(times)
        print(f"  all statements: {1000 * total:.2f} ms/registration (commits not included)")
        shown = rows[:10] + [r for r in rows[10:] if "map" in r[0]]
        for shape, each in shown:
            print(f"  {1000 * sum(each) / len(times):7.3f} ms/registration  {shape}")


if __name__ == "__main__":
    main()
