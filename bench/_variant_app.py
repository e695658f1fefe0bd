"""``ipx serve`` with one write-path seam switched off, for the write-path bench only.

    python bench/_variant_app.py VARIANT serve --host 127.0.0.1 --port 8123 ...

VARIANT is ``shipped`` (nothing patched: the same entry, so every variant starts alike),
``no-map`` (``ipx.ledger.encumbrance_map.plan_appended``, the map update of every append,
does nothing) or ``no-outbox`` (``ipx.uow.write_outbox``, the outbox rows of announced events,
writes nothing). The patch is made in the gunicorn arbiter before it forks, so every worker
has it. With ``IPX_BENCH_NO_DELIVERY=1`` (``write_path.py --no-delivery``) every variant also
runs without the notification worker ``ipx serve`` starts beside it on SQLite, so what is
measured is writing the outbox, not delivering it. This is not a product setting: nothing in
``ipx`` reads it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The ipx of the checkout ``bench._server.instance_env(tree=...)`` chose, else this one's.
sys.path.insert(0, os.environ.get("IPX_BENCH_TREE") or str(Path(__file__).resolve().parents[1]))

VARIANTS = ("shipped", "no-map", "no-outbox")


def patch(variant: str) -> None:
    """Switch off the one seam ``variant`` names (``shipped``: none)."""
    import ipx.ledger.encumbrance_map
    import ipx.notify.worker
    import ipx.uow

    if os.environ.get("IPX_BENCH_NO_DELIVERY") == "1":
        serve_worker = ipx.notify.worker.serve_worker
        ipx.notify.worker.serve_worker = lambda enabled: serve_worker(False)
    if variant == "no-map":
        ipx.ledger.encumbrance_map.plan_appended = lambda *args, **kwargs: None
    elif variant == "no-outbox":
        ipx.uow.write_outbox = lambda *args, **kwargs: None
    elif variant != "shipped":
        raise SystemExit(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")


def command(variant: str) -> list[str]:
    """The command line prefix that runs ``ipx`` with ``variant`` (for ``bench._server.Server``)."""
    return [sys.executable, str(Path(__file__).resolve()), variant]


if __name__ == "__main__":
    patch(sys.argv[1])
    from ipx.cli import main

    main(sys.argv[2:], prog_name="ipx")
