"""The registry's domain: kinds, states, refusal grounds and the examination rules.

Plain Python: nothing here knows about Flask or the database.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from ipx.rights import AssetKind as AssetKind  # shared with the valuation (re-exported)


class PartyKind(enum.StrEnum):
    ORGANIZATION = "organization"
    INDIVIDUAL = "individual"


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


class FreezeKind(enum.StrEnum):
    """Why an asset is frozen (ground R05): a court's preservation order, or the suspension of
    the right's procedures while its ownership is disputed before a court or arbitration."""

    COURT_PRESERVATION = "court_preservation"
    OWNERSHIP_DISPUTE = "ownership_dispute"


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

    def as_dict(self) -> dict[str, str | int]:
        found: dict[str, str | int] = {"code": self.ground.value, "message": self.ground.message}
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


# --- the examination checklist -------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One fact a ground's outcome rests on: ``code`` names the situation (the console words
    it), ``values`` are the dates, amounts and ids it mentions."""

    code: str
    values: Mapping[str, object] = field(default_factory=dict)
    asset_id: int | None = None


@dataclass(frozen=True)
class GroundCheck:
    """A ground of refusal checked against an application: whether it passed, and why."""

    ground: Ground
    passed: bool
    facts: tuple[Fact, ...]
    failing_asset_ids: tuple[int, ...] = ()


def checklist(app: ApplicationFacts, on: date) -> list[GroundCheck]:
    """Every ground R01-R12 in order, passed or not, with the facts behind it.

    Worked out ground by ground, as a clerk reads the file; the grounds that fail (and, for
    the grounds about an asset, the assets they fail on) are exactly ``examine``'s findings.
    """
    checks = {
        Ground.PARTIES_INVALID: _parties_check(app),
        Ground.CONTRACT_INCOMPLETE: _contract_check(app),
    }
    checks[Ground.FORFEITURE_CLAUSE] = _single(
        Ground.FORFEITURE_CLAUSE,
        not app.forfeiture_clause,
        Fact("forfeiture_clause" if app.forfeiture_clause else "no_forfeiture_clause"),
    )
    for ground, check in ASSET_CHECKS.items():
        outcomes = [(asset.id, *check(app, asset, on)) for asset in app.assets]
        checks[ground] = GroundCheck(
            ground,
            passed=all(ok for _id, ok, _fact in outcomes),
            facts=tuple(fact for _id, _ok, fact in outcomes) or (Fact("no_assets"),),
            failing_asset_ids=tuple(asset_id for asset_id, ok, _fact in outcomes if not ok),
        )
    return [checks[ground] for ground in Ground]


def _single(ground: Ground, passed: bool, *facts: Fact) -> GroundCheck:
    return GroundCheck(ground, passed, facts)


def _parties_check(app: ApplicationFacts) -> GroundCheck:
    values: dict[str, object] = {"pledgor_id": app.pledgor_id, "pledgee_id": app.pledgee_id}
    if app.pledgor_id == app.pledgee_id:
        return _single(Ground.PARTIES_INVALID, False, Fact("same_party", values))
    unknown = [
        p
        for p, known in ((app.pledgor_id, app.pledgor_known), (app.pledgee_id, app.pledgee_known))
        if not known
    ]
    if unknown:
        return _single(Ground.PARTIES_INVALID, False, Fact("unknown_party", {"party_ids": unknown}))
    return _single(Ground.PARTIES_INVALID, True, Fact("parties_known", values))


def _contract_check(app: ApplicationFacts) -> GroundCheck:
    missing = [
        name
        for name, lacking in (
            ("secured_amount", app.secured_amount is None or app.secured_amount <= 0),
            ("debt_start", app.debt_start is None),
            ("debt_end", app.debt_end is None),
            ("contract_number", not (app.contract_number or "").strip()),
        )
        if lacking
    ]
    if missing:
        return _single(
            Ground.CONTRACT_INCOMPLETE, False, Fact("contract_lacks", {"fields": missing})
        )
    assert app.debt_start is not None and app.debt_end is not None  # not missing
    term = {"start": app.debt_start, "end": app.debt_end}
    if app.debt_end <= app.debt_start:
        return _single(Ground.CONTRACT_INCOMPLETE, False, Fact("debt_term_empty", term))
    return _single(
        Ground.CONTRACT_INCOMPLETE,
        True,
        Fact("contract_complete", {**term, "amount": app.secured_amount}),
    )


AssetCheck = tuple[bool, Fact]


def _holder(app: ApplicationFacts, asset: AssetFacts, on: date) -> AssetCheck:
    held = app.pledgor_id in asset.holder_ids
    values = {"pledgor_id": app.pledgor_id, "holder_ids": sorted(asset.holder_ids)}
    return held, Fact("pledgor_holds" if held else "pledgor_not_holder", values, asset.id)


def _in_force(app: ApplicationFacts, asset: AssetFacts, on: date) -> AssetCheck:
    values = {"status": asset.status.value, "expiry": asset.expiry_date, "on": on}
    if asset.status in (LegalStatus.LAPSED, LegalStatus.INVALIDATED):
        return False, Fact("status_ended", values, asset.id)
    if asset.expiry_date is not None and asset.expiry_date < on:
        return False, Fact("expired", values, asset.id)
    return True, Fact("in_force_until" if asset.expiry_date else "in_force", values, asset.id)


def _granted(app: ApplicationFacts, asset: AssetFacts, on: date) -> AssetCheck:
    pending = asset.status is LegalStatus.PENDING
    return not pending, Fact(
        "pending" if pending else "status_is", {"status": asset.status.value}, asset.id
    )


def _fees(app: ApplicationFacts, asset: AssetFacts, on: date) -> AssetCheck:
    values = {"date": asset.fees_paid_until, "on": on, "kind": asset.kind.value}
    if not asset.kind.is_patent:
        return True, Fact("no_annual_fees", values, asset.id)
    if asset.status is not LegalStatus.GRANTED:
        return True, Fact("fees_not_due", {**values, "status": asset.status.value}, asset.id)
    if asset.fees_paid_until is None:
        return False, Fact("fees_unrecorded", values, asset.id)
    if asset.fees_paid_until < on:
        return False, Fact("fees_paid_until_before", values, asset.id)
    return True, Fact("fees_paid_until_covers", values, asset.id)


def _not_frozen(app: ApplicationFacts, asset: AssetFacts, on: date) -> AssetCheck:
    return not asset.frozen, Fact("frozen" if asset.frozen else "not_frozen", {}, asset.id)


def _term(app: ApplicationFacts, asset: AssetFacts, on: date) -> AssetCheck:
    values = {"debt_end": app.debt_end, "expiry": asset.expiry_date}
    if asset.expiry_date is None or app.debt_end is None:
        return True, Fact("term_unknown", values, asset.id)
    if app.debt_end > asset.expiry_date:
        return False, Fact("debt_outlasts", values, asset.id)
    return True, Fact("debt_within_term", values, asset.id)


def _consents(app: ApplicationFacts, asset: AssetFacts, on: date) -> AssetCheck:
    co_owners = sorted(asset.holder_ids - {app.pledgor_id})
    if app.pledgor_id not in asset.holder_ids or not co_owners:
        return True, Fact("no_co_owner", {}, asset.id)
    lacking = [p for p in co_owners if p not in app.co_owner_consent_ids]
    code = "co_owner_not_consented" if lacking else "co_owners_consented"
    return not lacking, Fact(code, {"party_ids": lacking or co_owners}, asset.id)


def _unpledged(app: ApplicationFacts, asset: AssetFacts, on: date) -> AssetCheck:
    pledges = sorted(asset.registered_pledge_ids)
    code = "pledged" if pledges else "not_pledged"
    return not pledges, Fact(code, {"pledge_ids": pledges}, asset.id)


def _invalidation(app: ApplicationFacts, asset: AssetFacts, on: date) -> AssetCheck:
    if not asset.invalidation_pending:
        return True, Fact("no_invalidation", {}, asset.id)
    acknowledged = INVALIDATION_RISK in app.acknowledged_risks
    code = "invalidation_acknowledged" if acknowledged else "invalidation_pending"
    return acknowledged, Fact(code, {}, asset.id)


#: The grounds about one asset, each checked asset by asset (order: ``Ground``'s).
ASSET_CHECKS = {
    Ground.NOT_HOLDER: _holder,
    Ground.NOT_IN_FORCE: _in_force,
    Ground.NOT_GRANTED: _granted,
    Ground.FEES_UNPAID: _fees,
    Ground.FROZEN: _not_frozen,
    Ground.DEBT_OUTLASTS_TERM: _term,
    Ground.CO_OWNER_NOT_CONSENTED: _consents,
    Ground.ALREADY_PLEDGED: _unpledged,
    Ground.INVALIDATION_PENDING: _invalidation,
}


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


_State = TypeVar("_State")


def can_move(transitions: dict[_State, set[_State]], current: _State, target: _State) -> bool:
    return target in transitions.get(current, set())
