"""The registry's own renewal outcomes as rows of the training table (the sample's format).

CNIPA charges an annual fee for every year of protection from grant; the model has three US
stages, 3.5, 7.5 and 11.5 years after grant. A registered patent counts as having *paid* stage k
when its fees are paid through the day stage k falls (grant date + 3.5, 7.5, 11.5 years: the
4th, 8th and 12th annual fee counted from grant), as having *lapsed* at stage k when it is
recorded lapsed or invalidated with fees paid through an earlier day, and is *censored* at
stage k otherwise: a fee not yet due (or due but not yet recorded as missed by the fee watch) is
never a lapse. Only stages with a known outcome are used: `observed_stages` says how many.
A bibliographic count the record lacks is an empty cell, never a reason to leave a patent out
(the Chinese records seeded from CNIPA indicators have no NPL or similar-document counts).

Plain Python: the registry's facts arrive as `RegisteredOutcome`s (the export in `ipx.ops`
reads them), so this package still never imports the registry.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ipx.valuation.sample_columns import COUNT_COLUMNS, IPC_DUMMIES
from ipx.valuation.terms import add_months

#: Months after grant at which each stage falls (3.5, 7.5, 11.5 years).
STAGE_MONTHS = (42, 90, 138)
_OWNER_DOMAIN = b"ipx valuation owner\x00"
#: The columns of the exported table: the sample's, then the registry's own.
COLUMNS = (
    "id",
    *IPC_DUMMIES,
    *COUNT_COLUMNS.values(),
    "payment_times",
    "assignee",
    "filing/creation date",
    "grant date",
    "grant_year",
    "grant_lag_days",
    "paid_ge1",
    "paid_ge2",
    "paid_all3",
    "label_paid_all3_observable",
    "observed_stages",
    "realized_price",
    "currency",
)


@dataclass(frozen=True)
class RegisteredOutcome:
    """What the registry knows about one granted patent, with its owner already digested."""

    row_id: str
    owner_digest: str
    filing_date: date
    grant_date: date
    fees_paid_until: date | None
    ended: bool  # lapsed or invalidated
    #: Every count of COUNT_COLUMNS; None where the record lacks it (the cell is left empty and
    #: training imputes the sample's median, as serving imputes it for a valuation).
    features: dict[str, int | None]
    ipc_section: str | None
    realized_price: Decimal | None = None
    currency: str | None = None


def owner_digest(key: bytes, party_ids: Sequence[int]) -> str:
    """The owner of a registered patent as the model knows it: a keyed digest of its holders'
    party ids (no name leaves the registry). Serving looks up registry owners by the same."""
    text = ",".join(str(i) for i in sorted(party_ids))
    return "registry-owner " + hmac.new(key, _OWNER_DOMAIN + text.encode(), "sha256").hexdigest()


def stage_outcome(grant_date: date, fees_paid_until: date | None, ended: bool) -> tuple[int, int]:
    """(stages paid, stages whose outcome is known) of a patent, from the registry's record."""
    paid = 0
    for stage, months in enumerate(STAGE_MONTHS, start=1):
        if fees_paid_until is not None and fees_paid_until >= add_months(grant_date, months):
            paid = stage  # CNIPA fees are paid a year ahead: paid through the day is paid
            continue
        # Not paid through the day: a recorded lapse is an observed outcome; anything else (the
        # fee not yet due, or due and not yet recorded missed) is censored, never a lapse.
        return paid, stage if ended else paid
    return paid, len(STAGE_MONTHS)


def training_row(outcome: RegisteredOutcome) -> dict[str, str] | None:
    """The table row of one patent, or None when not even stage 1's outcome is known."""
    paid, observed = stage_outcome(outcome.grant_date, outcome.fees_paid_until, outcome.ended)
    if observed == 0:
        return None
    section = outcome.ipc_section or "NA"
    row = {
        "id": outcome.row_id,
        **{s: "1" if s == section else "0" for s in IPC_DUMMIES},
        **{col: _count_cell(outcome.features.get(name)) for name, col in COUNT_COLUMNS.items()},
        "payment_times": str(paid),
        "assignee": outcome.owner_digest,
        "filing/creation date": outcome.filing_date.isoformat(),
        "grant date": outcome.grant_date.isoformat(),
        "grant_year": str(outcome.grant_date.year),
        "grant_lag_days": str((outcome.grant_date - outcome.filing_date).days),
        "paid_ge1": str(int(paid >= 1)),
        "paid_ge2": str(int(paid >= 2)),
        "paid_all3": str(int(paid >= 3)),
        "label_paid_all3_observable": str(int(observed >= 3)),
        "observed_stages": str(observed),
        "realized_price": "" if outcome.realized_price is None else f"{outcome.realized_price:.2f}",
        "currency": outcome.currency or "",
    }
    return row


def _count_cell(count: int | None) -> str:
    return "" if count is None else str(int(count))
