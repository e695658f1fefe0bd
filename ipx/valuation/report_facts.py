"""What a valuation report shows beyond the stored valuation: the asset, the ledger anchor, the
model card. Plain data: the registry fills ``AssetDescription`` (through a port the composition
root wires, as for ``AssetFacts``), the ledger ``LedgerAnchor``, and ``report_pdf`` lays out
``ReportFacts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class PledgeMention:
    """A registered pledge of the asset, by its public registration number."""

    registration_number: str
    status: str


@dataclass(frozen=True)
class AssetDescription:
    """The asset a valuation concerns, as the registry records it."""

    kind: str
    number: str
    title: str
    holders: tuple[str, ...]
    status: str
    filing_date: date | None
    grant_date: date | None
    expiry_date: date | None
    fees_paid_until: date | None
    ipc: str | None
    #: Pledges the asset is under now, and any pledge whose application cited this valuation.
    pledges: tuple[PledgeMention, ...] = ()


@dataclass(frozen=True)
class LedgerAnchor:
    """The log entry of a valuation and a signed checkpoint that covers it."""

    index: int
    leaf_hash: str  # base64, as the ledger API gives it
    result_digest: str  # hex SHA-256 of the stored result (``stored_json_digest``)
    tree_size: int
    root_hash: str  # base64
    signed_at: datetime


@dataclass(frozen=True)
class ModelSummary:
    """The model card of the valuation's model, in brief (None fields: not the serving model)."""

    version: str
    serving: bool
    training_file: str | None = None
    training_rows: int | None = None
    training_sha256: str | None = None
    what_it_is: str | None = None


@dataclass(frozen=True)
class ReportFacts:
    """Everything one report shows."""

    valuation: dict  # the valuation as the API answers it (``services.valuation_json``)
    request: dict  # the stored request (inputs as the valuer received them)
    asset: AssetDescription | None  # None: a patent described in the request itself
    anchor: LedgerAnchor | None
    model: ModelSummary
