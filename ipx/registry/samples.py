"""The sample parties and assets in data/samples, and synthetic bulk assets for load tests.

Sample records use stable keys (`party:...`, `asset:<kind>:<number>`) and refer to holders by
party key, so a seeder can look records up by key and stay idempotent. The files are built by
data/samples/build_samples.py; this module only reads them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ipx.registry.numbers import make_patent_number
from ipx.registry.terms import anniversary, protection_expiry

__all__ = [
    "SAMPLES_DIR",
    "SNAPSHOT_DATE",
    "fees_paid_through",
    "load_sample_assets",
    "load_sample_parties",
    "synthetic_assets",
]

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "samples"
# The legal status in the samples is a snapshot taken on this day, so the files never change
# with the calendar; fees are paid a little ahead of it so the demo stays pledgeable for a while.
SNAPSHOT_DATE = date(2026, 11, 1)
# Sample patents use serials below this; synthetic ones at or above it, so they never collide.
SYNTHETIC_SERIAL_BASE = 5_000_000
_SYNTHETIC_YEARS = tuple(range(2008, 2022))
HOLDER_CATEGORIES = ("university", "research_institute", "company")


def _read(name: str, directory: str | Path | None) -> list[dict[str, Any]]:
    path = Path(directory or SAMPLES_DIR) / f"{name}.json"
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)[name]


def load_sample_parties(directory: str | Path | None = None) -> list[dict[str, Any]]:
    """The sample parties (`parties.json` in `directory`, default data/samples)."""
    return _read("parties", directory)


def load_sample_assets(directory: str | Path | None = None) -> list[dict[str, Any]]:
    """The sample assets (`assets.json` in `directory`, default data/samples)."""
    return _read("assets", directory)


def fees_paid_through(
    filing_date: date, expiry: date, as_of: date = SNAPSHOT_DATE, years_ahead: int = 2
) -> date:
    """Last day of the fee year `years_ahead` after the one running on `as_of`, capped at expiry."""
    years = 1
    while anniversary(filing_date, years) <= as_of:
        years += 1
    return min(expiry, anniversary(filing_date, years + years_ahead) - timedelta(days=1))


def synthetic_assets(
    n: int,
    seed: int = 0,
    *,
    holder_keys: Sequence[str] | None = None,
    directory: str | Path | None = None,
) -> Iterator[dict[str, Any]]:
    """`n` valid, granted invention assets for load benchmarks, marked `synthetic: true`.

    Numbers depend only on the position (so a larger `n` extends a smaller run) and lie in a
    serial range the real samples do not use; `seed` drives dates, holders and features, which
    are resampled from the sample inventions so their distribution stays realistic.
    """
    rng = random.Random(seed)
    templates = [a for a in load_sample_assets(directory) if a["kind"] == "invention"]
    if holder_keys is None:
        holder_keys = [
            p["key"]
            for p in load_sample_parties(directory)
            if p.get("category") in HOLDER_CATEGORIES
        ]
    for i in range(n):
        yield _synthetic_invention(i, rng, templates, holder_keys)


def _synthetic_invention(
    i: int, rng: random.Random, templates: list[dict], holder_keys: Sequence[str]
) -> dict[str, Any]:
    year = _SYNTHETIC_YEARS[i % len(_SYNTHETIC_YEARS)]
    number = make_patent_number(year, 1, SYNTHETIC_SERIAL_BASE + i // len(_SYNTHETIC_YEARS))
    filed = date(year, 1, 1) + timedelta(days=rng.randrange(365))
    granted = filed + timedelta(days=rng.randrange(540, 1460))
    expiry = protection_expiry("invention", filed)
    template = rng.choice(templates)
    return {
        "key": f"asset:invention:{number}",
        "kind": "invention",
        "number": number,
        "title": f"[合成 synthetic] {template['title']}",
        "holder_keys": [rng.choice(holder_keys)],
        "filing_date": filed.isoformat(),
        "grant_date": granted.isoformat(),
        "status": "granted",
        "fees_paid_until": fees_paid_through(filed, expiry).isoformat(),
        "ipc": template["ipc"],
        "features": dict(template["features"]),
        "synthetic": True,
    }
