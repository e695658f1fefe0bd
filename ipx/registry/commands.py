"""The registry's write use cases as commands: plain values in, whichever way they came.

A command names one thing a user asks the registry to do, with the values it needs and nothing
of HTTP or forms. The JSON API builds one from a request body, the console from a form; both
hand it to the same runner (``ipx.usecases``), which runs the use case registered for its type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ipx.registry.model import FreezeKind


@dataclass(frozen=True)
class CreateParty:
    kind: str
    name: str
    credit_code: str | None = None
    id_number: str | None = None


@dataclass(frozen=True)
class RecordSme:
    """Record whether a party is a small or medium enterprise, and where that was read."""

    party_id: int
    sme: bool
    sme_source: str


@dataclass(frozen=True)
class CreateAsset:
    kind: str
    number: str
    title: str
    holder_ids: list[int]
    filing_date: date
    status: str
    grant_date: date | None = None
    fees_paid_until: date | None = None
    expiry_date: date | None = None
    ipc: str | None = None
    features: Mapping[str, int] | None = None
    invalidation_pending: bool = False


@dataclass(frozen=True)
class UpdateAsset:
    """Only the fields present in ``changes`` change (status, fees_paid_until,
    invalidation_pending); with ``unchanged_since``, only if the asset's last change is that
    one (a form shown before another change must not undo it: 409 ``asset-changed``)."""

    asset_id: int
    changes: Mapping[str, Any]
    unchanged_since: datetime | None = None


@dataclass(frozen=True)
class FreezeAsset:
    asset_id: int
    court: str
    order_number: str
    kind: str = FreezeKind.COURT_PRESERVATION.value


@dataclass(frozen=True)
class LiftFreeze:
    freeze_id: int


@dataclass(frozen=True)
class ApplicationTerms:
    """The body of a joint pledge application, as filed or as corrected."""

    pledgor_id: int
    pledgee_id: int
    asset_ids: list[int]
    secured_amount: Decimal | None = None
    currency: str = "CNY"
    debt_start: date | None = None
    debt_end: date | None = None
    contract_number: str | None = None
    co_owner_consent_ids: list[int] = field(default_factory=list)
    forfeiture_clause: bool = False
    acknowledged_risks: list[str] = field(default_factory=list)
    valuation_id: int | None = None


@dataclass(frozen=True)
class SubmitApplication:
    terms: ApplicationTerms


@dataclass(frozen=True)
class CorrectApplication:
    application_id: int
    terms: ApplicationTerms


@dataclass(frozen=True)
class RequestCorrection:
    application_id: int
    note: str


@dataclass(frozen=True)
class RefuseApplication:
    application_id: int
    grounds: list[str]
    note: str | None = None


@dataclass(frozen=True)
class RegisterPledge:
    application_id: int


@dataclass(frozen=True)
class ChangePledge:
    """Only the fields present in ``changes`` change (secured_amount, debt_end)."""

    pledge_id: int
    changes: Mapping[str, Any]


@dataclass(frozen=True)
class CancelPledge:
    pledge_id: int
    reason: str


@dataclass(frozen=True)
class RevokePledge:
    pledge_id: int
    reason: str


@dataclass(frozen=True)
class RecordTransfer:
    asset_id: int
    kind: str
    to_party_ids: list[int]
    pledgee_consent: bool = False
    proceeds: str | None = None
    proceeds_amount: Decimal | None = None


@dataclass(frozen=True)
class RequestTransfer:
    """Ask for a pledged asset's transfer or licence; it waits for the pledgee's consent."""

    asset_id: int
    kind: str
    to_party_ids: list[int]


@dataclass(frozen=True)
class ConsentToTransfer:
    request_id: int
    proceeds: str
    proceeds_amount: Decimal | None = None


@dataclass(frozen=True)
class DeclineTransfer:
    request_id: int
    reason: str


@dataclass(frozen=True)
class WithdrawTransferRequest:
    request_id: int
    reason: str | None = None


@dataclass(frozen=True)
class DeclareDefault:
    pledge_id: int
    principal: Decimal
    interest: Decimal
    penalties: Decimal


@dataclass(frozen=True)
class RequestDisposal:
    pledge_id: int
    note: str | None = None


@dataclass(frozen=True)
class OpenDisposal:
    pledge_id: int
    method: str
    costs: Decimal
    asset_ids: list[int] | None = None
    reserve_price: Decimal | None = None
    costs_payee_id: int | None = None
    announcement_days: int | None = None


@dataclass(frozen=True)
class RecordBid:
    disposal_id: int
    bidder_id: int
    amount: Decimal


@dataclass(frozen=True)
class CloseDisposal:
    disposal_id: int


@dataclass(frozen=True)
class WithdrawDisposal:
    disposal_id: int
    reason: str
    note: str | None = None
