"""The registry's domain: kinds, states, refusal grounds and the examination rules.

Plain Python: nothing here knows about Flask or the database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


class PartyKind(enum.StrEnum):
    ORGANIZATION = "organization"
    INDIVIDUAL = "individual"


class AssetKind(enum.StrEnum):
    INVENTION = "invention"
    UTILITY_MODEL = "utility_model"
    DESIGN = "design"
    TRADEMARK = "trademark"
    COPYRIGHT = "copyright"

    @property
    def is_patent(self) -> bool:
        return self in (AssetKind.INVENTION, AssetKind.UTILITY_MODEL, AssetKind.DESIGN)


class LegalStatus(enum.StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    LAPSED = "lapsed"
    INVALIDATED = "invalidated"


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    CORRECTION_REQUESTED = "correction_requested"
    REGISTERED = "registered"
    REFUSED = "refused"


class PledgeStatus(enum.StrEnum):
    REGISTERED = "registered"
    DEFAULTED = "defaulted"
    IN_DISPOSAL = "in_disposal"
    REALIZED = "realized"
    CANCELLED = "cancelled"
    REVOKED = "revoked"


class Ground(enum.StrEnum):
    """Grounds for refusing a pledge registration (DESIGN.md, Registry)."""

    NOT_HOLDER = "R01"
    NOT_IN_FORCE = "R02"
    NOT_GRANTED = "R03"
    FEES_UNPAID = "R04"
    FROZEN = "R05"
    DEBT_OUTLASTS_TERM = "R06"
    CONTRACT_INCOMPLETE = "R07"
    CO_OWNER_NOT_CONSENTED = "R08"
    ALREADY_PLEDGED = "R09"
    INVALIDATION_PENDING = "R10"
    FORFEITURE_CLAUSE = "R11"
    PARTIES_INVALID = "R12"

    @property
    def message(self) -> str:
        return GROUND_MESSAGES[self]


GROUND_MESSAGES = {
    Ground.NOT_HOLDER: "The pledgor is not a registered holder of the asset.",
    Ground.NOT_IN_FORCE: "The right is not in force (lapsed, invalidated or expired).",
    Ground.NOT_GRANTED: "The right is not granted yet.",
    Ground.FEES_UNPAID: "Fees are unpaid at the examination date.",
    Ground.FROZEN: "The asset is frozen by a court or suspended by an ownership dispute.",
    Ground.DEBT_OUTLASTS_TERM: "The debt runs past the end of the asset's protection term.",
    Ground.CONTRACT_INCOMPLETE: "The contract lacks required content "
    "(amount, term, contract number, parties).",
    Ground.CO_OWNER_NOT_CONSENTED: "A co-owner of the asset has not consented.",
    Ground.ALREADY_PLEDGED: "The asset is already under a registered pledge.",
    Ground.INVALIDATION_PENDING: "Invalidation proceedings are pending and the parties have not "
    "acknowledged the risk.",
    Ground.FORFEITURE_CLAUSE: "The contract has a forfeiture clause (the right would pass to the "
    "pledgee on default).",
    Ground.PARTIES_INVALID: "The pledgor and pledgee are the same party, or a party is unknown.",
}

#: The risk an application acknowledges so that R10 does not apply.
INVALIDATION_RISK = "invalidation_pending"


@dataclass(frozen=True)
class AssetFacts:
    """What examination needs to know about one asset, read under lock at examination time."""

    id: int
    kind: AssetKind
    holder_ids: frozenset[int]
    status: LegalStatus
    expiry_date: date | None
    fees_paid_until: date | None
    frozen: bool
    invalidation_pending: bool
    registered_pledge_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ApplicationFacts:
    pledgor_id: int
    pledgee_id: int
    pledgor_known: bool
    pledgee_known: bool
    secured_amount: Decimal | None
    debt_start: date | None
    debt_end: date | None
    contract_number: str | None
    co_owner_consent_ids: frozenset[int]
    forfeiture_clause: bool
    acknowledged_risks: frozenset[str]
    assets: tuple[AssetFacts, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Finding:
    ground: Ground
    asset_id: int | None = None

    def as_dict(self) -> dict:
        found = {"code": self.ground.value, "message": self.ground.message}
        if self.asset_id is not None:
            found["asset_id"] = self.asset_id
        return found


def examine(app: ApplicationFacts, on: date) -> list[Finding]:
    """Every ground for refusal that applies to the application on the examination date.

    An empty list means the pledge may be registered.
    """
    findings: list[Finding] = []
    if not (app.pledgor_known and app.pledgee_known) or app.pledgor_id == app.pledgee_id:
        findings.append(Finding(Ground.PARTIES_INVALID))
    if _contract_incomplete(app):
        findings.append(Finding(Ground.CONTRACT_INCOMPLETE))
    if app.forfeiture_clause:
        findings.append(Finding(Ground.FORFEITURE_CLAUSE))
    for asset in app.assets:
        findings.extend(Finding(ground, asset.id) for ground in _asset_grounds(app, asset, on))
    return findings


def _contract_incomplete(app: ApplicationFacts) -> bool:
    return (
        app.secured_amount is None
        or app.secured_amount <= 0
        or app.debt_start is None
        or app.debt_end is None
        or app.debt_end <= app.debt_start
        or not (app.contract_number or "").strip()
    )


def _asset_grounds(app: ApplicationFacts, asset: AssetFacts, on: date) -> list[Ground]:
    grounds = []
    if app.pledgor_id not in asset.holder_ids:
        grounds.append(Ground.NOT_HOLDER)
    expired = asset.expiry_date is not None and asset.expiry_date < on
    if asset.status in (LegalStatus.LAPSED, LegalStatus.INVALIDATED) or expired:
        grounds.append(Ground.NOT_IN_FORCE)
    if asset.status is LegalStatus.PENDING:
        grounds.append(Ground.NOT_GRANTED)
    if (
        asset.kind.is_patent
        and asset.status is LegalStatus.GRANTED
        and (asset.fees_paid_until is None or asset.fees_paid_until < on)
    ):
        grounds.append(Ground.FEES_UNPAID)
    if asset.frozen:
        grounds.append(Ground.FROZEN)
    if asset.expiry_date and app.debt_end and app.debt_end > asset.expiry_date:
        grounds.append(Ground.DEBT_OUTLASTS_TERM)
    co_owners = asset.holder_ids - {app.pledgor_id}
    if app.pledgor_id in asset.holder_ids and not co_owners <= app.co_owner_consent_ids:
        grounds.append(Ground.CO_OWNER_NOT_CONSENTED)
    if asset.registered_pledge_ids:
        grounds.append(Ground.ALREADY_PLEDGED)
    if asset.invalidation_pending and INVALIDATION_RISK not in app.acknowledged_risks:
        grounds.append(Ground.INVALIDATION_PENDING)
    return grounds


# --- state machines -------------------------------------------------------------------------

APPLICATION_TRANSITIONS: dict[ApplicationStatus, set[ApplicationStatus]] = {
    ApplicationStatus.SUBMITTED: {
        ApplicationStatus.CORRECTION_REQUESTED,
        ApplicationStatus.REGISTERED,
        ApplicationStatus.REFUSED,
    },
    ApplicationStatus.CORRECTION_REQUESTED: {
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.REFUSED,
    },
    ApplicationStatus.REGISTERED: set(),
    ApplicationStatus.REFUSED: set(),
}

PLEDGE_TRANSITIONS: dict[PledgeStatus, set[PledgeStatus]] = {
    PledgeStatus.REGISTERED: {PledgeStatus.CANCELLED, PledgeStatus.REVOKED, PledgeStatus.DEFAULTED},
    PledgeStatus.DEFAULTED: {PledgeStatus.IN_DISPOSAL, PledgeStatus.CANCELLED},
    PledgeStatus.IN_DISPOSAL: {PledgeStatus.REALIZED, PledgeStatus.DEFAULTED},
    PledgeStatus.REALIZED: {PledgeStatus.CANCELLED},
    PledgeStatus.CANCELLED: set(),
    PledgeStatus.REVOKED: set(),
}

#: Pledge states in which the pledge still encumbers its assets.
ENCUMBERING = {PledgeStatus.REGISTERED, PledgeStatus.DEFAULTED, PledgeStatus.IN_DISPOSAL}


class CancellationReason(enum.StrEnum):
    REPAID = "repaid"
    WAIVED = "waived"
    REALIZED = "realized"
    CONTRACT_VOID = "contract_void"


def can_move(transitions: dict, current, target) -> bool:
    return target in transitions.get(current, set())
