"""Requests shared by the valuation unit tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ipx.valuation.model import ValuationRequest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "2026.12.0"
FULL = {
    "claims": 12,
    "backward_citations": 8,
    "npl_citations": 3,
    "family_size": 2,
    "inventors": 4,
    "similar_docs": 6,
}
BASE = ValuationRequest(
    features=FULL,
    ipc="C22C 38/00",
    filing_date=date(2018, 3, 1),
    grant_date=date(2020, 6, 1),
    as_of=date(2026, 11, 1),
)
