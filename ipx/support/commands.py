"""The support programmes' write use cases as commands: plain values in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class CreateProgramme:
    name: str
    kind: str
    period_start: date
    period_end: date
    cap_per_loan: Decimal
    cap_per_firm_year: Decimal
    budget: Decimal
    currency: str = "CNY"
    rate_bp: int | None = None
    share: Decimal | None = None  # percent
    sme_only: bool = False
    first_loan_only: bool = False
    asset_kinds: list[str] = field(default_factory=list)
    applications_open: date | None = None
    applications_close: date | None = None


@dataclass(frozen=True)
class ChangeProgramme:
    """Only the terms present in ``changes`` change; with applications filed, a new version."""

    programme_id: int
    changes: Mapping[str, Any]


@dataclass(frozen=True)
class SubmitSupportApplication:
    programme_id: int
    pledge_ids: list[int]
    claim: Mapping[str, Any] = field(default_factory=dict)
    document_digests: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ApproveSupportApplication:
    application_id: int
    amount: Decimal | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RefuseSupportApplication:
    application_id: int
    reasons: list[str]
    note: str | None = None


@dataclass(frozen=True)
class PaySupportApplication:
    application_id: int
    reference: str
