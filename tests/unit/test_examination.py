"""examine(): each refusal ground R01-R12 alone and in combination, and the state machines."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from ipx.registry.model import (
    APPLICATION_TRANSITIONS,
    INVALIDATION_RISK,
    PLEDGE_TRANSITIONS,
    ApplicationFacts,
    ApplicationStatus,
    AssetFacts,
    AssetKind,
    Ground,
    LegalStatus,
    PledgeStatus,
    can_move,
    examine,
)

ON = date(2026, 3, 1)
OWNER, BANK, CO_OWNER = 1, 2, 3


def clean_asset(**changes) -> AssetFacts:
    asset = AssetFacts(
        id=10,
        kind=AssetKind.INVENTION,
        holder_ids=frozenset({OWNER}),
        status=LegalStatus.GRANTED,
        expiry_date=date(2040, 1, 1),
        fees_paid_until=ON + timedelta(days=100),
        frozen=False,
        invalidation_pending=False,
    )
    return replace(asset, **changes)


def clean_application(*assets: AssetFacts, **changes) -> ApplicationFacts:
    app = ApplicationFacts(
        pledgor_id=OWNER,
        pledgee_id=BANK,
        pledgor_known=True,
        pledgee_known=True,
        secured_amount=Decimal("5000000.00"),
        debt_start=ON,
        debt_end=ON + timedelta(days=730),
        contract_number="JK-2026-0001",
        co_owner_consent_ids=frozenset(),
        forfeiture_clause=False,
        acknowledged_risks=frozenset(),
        assets=assets or (clean_asset(),),
    )
    return replace(app, **changes)


def codes(app: ApplicationFacts) -> set[str]:
    return {f.ground.value for f in examine(app, ON)}


# One way to make each ground apply, and nothing else. Each returns application changes.
SINGLE_GROUND = {
    "R01": lambda: {"assets": (clean_asset(holder_ids=frozenset({CO_OWNER})),)},
    "R02": lambda: {"assets": (clean_asset(status=LegalStatus.LAPSED),)},
    "R03": lambda: {"assets": (clean_asset(status=LegalStatus.PENDING),)},
    "R04": lambda: {"assets": (clean_asset(fees_paid_until=ON - timedelta(days=1)),)},
    "R05": lambda: {"assets": (clean_asset(frozen=True),)},
    "R06": lambda: {"debt_end": date(2041, 1, 1)},
    "R07": lambda: {"contract_number": "  "},
    "R08": lambda: {"assets": (clean_asset(holder_ids=frozenset({OWNER, CO_OWNER})),)},
    "R09": lambda: {"assets": (clean_asset(registered_pledge_ids=frozenset({7})),)},
    "R10": lambda: {"assets": (clean_asset(invalidation_pending=True),)},
    "R11": lambda: {"forfeiture_clause": True},
    "R12": lambda: {"pledgee_id": OWNER},
}


def test_a_clean_application_has_no_ground():
    assert examine(clean_application(), ON) == []


@pytest.mark.parametrize("code", sorted(SINGLE_GROUND))
def test_each_ground_alone(code):
    assert codes(clean_application(**SINGLE_GROUND[code]())) == {code}


def test_findings_name_the_asset_and_carry_messages():
    findings = examine(clean_application(**SINGLE_GROUND["R05"]()), ON)
    assert [f.as_dict() for f in findings] == [
        {"code": "R05", "message": Ground.FROZEN.message, "asset_id": 10}
    ]
    (party_finding,) = examine(clean_application(**SINGLE_GROUND["R12"]()), ON)
    assert "asset_id" not in party_finding.as_dict()


@pytest.mark.parametrize(
    "changes",
    [
        {"secured_amount": None},
        {"secured_amount": Decimal("0")},
        {"debt_start": None},
        {"debt_end": None},
        {"debt_end": ON},
        {"contract_number": None},
        {"contract_number": ""},
    ],
)
def test_r07_every_missing_piece_of_the_contract(changes):
    assert codes(clean_application(**changes)) == {"R07"}


@pytest.mark.parametrize(
    "changes",
    [{"pledgor_known": False}, {"pledgee_known": False}, {"pledgee_id": OWNER}],
)
def test_r12_unknown_or_identical_parties(changes):
    assert "R12" in codes(clean_application(**changes))


def test_r02_covers_invalidated_and_expired_rights():
    invalidated = clean_asset(status=LegalStatus.INVALIDATED)
    expired = clean_asset(expiry_date=ON - timedelta(days=1))
    assert codes(clean_application(invalidated)) == {"R02"}
    assert "R02" in codes(clean_application(expired, debt_end=ON - timedelta(days=2)))
    # Expiring on the examination day is still in force.
    assert "R02" not in codes(clean_application(clean_asset(expiry_date=ON), debt_end=ON))


def test_r04_applies_to_granted_patents_only():
    unpaid = clean_asset(fees_paid_until=None)
    assert codes(clean_application(unpaid)) == {"R04"}
    trademark = clean_asset(kind=AssetKind.TRADEMARK, fees_paid_until=None)
    assert codes(clean_application(trademark)) == set()
    assert codes(clean_application(clean_asset(fees_paid_until=ON))) == set()


def test_r08_passes_when_every_co_owner_consents():
    shared = clean_asset(holder_ids=frozenset({OWNER, CO_OWNER, 4}))
    assert codes(clean_application(shared, co_owner_consent_ids=frozenset({CO_OWNER}))) == {"R08"}
    both = frozenset({CO_OWNER, 4})
    assert codes(clean_application(shared, co_owner_consent_ids=both)) == set()


def test_r10_passes_when_the_risk_is_acknowledged():
    pending = clean_asset(invalidation_pending=True)
    acknowledged = frozenset({INVALIDATION_RISK})
    assert codes(clean_application(pending, acknowledged_risks=acknowledged)) == set()


def test_r06_debt_ending_on_the_expiry_day_is_fine():
    assert codes(clean_application(debt_end=date(2040, 1, 1))) == set()
    assert codes(clean_application(debt_end=date(2040, 1, 2))) == {"R06"}


# Grounds that can be combined freely: each is produced by a change to a different field.
COMBINABLE_ASSET = {
    "R05": {"frozen": True},
    "R09": {"registered_pledge_ids": frozenset({7})},
    "R10": {"invalidation_pending": True},
    "R04": {"fees_paid_until": ON - timedelta(days=1)},
    "R08": {"holder_ids": frozenset({OWNER, CO_OWNER})},
}
COMBINABLE_APPLICATION = {
    "R07": {"contract_number": None},
    "R11": {"forfeiture_clause": True},
    "R12": {"pledgee_known": False},
    "R06": {"debt_end": date(2041, 1, 1)},
}


@pytest.mark.parametrize(
    "chosen",
    [
        *itertools.combinations(sorted(COMBINABLE_ASSET | COMBINABLE_APPLICATION), 2),
        tuple(sorted(COMBINABLE_ASSET | COMBINABLE_APPLICATION)),
    ],
)
def test_every_applicable_ground_is_reported(chosen):
    asset_changes, app_changes = {}, {}
    for code in chosen:
        if code in COMBINABLE_ASSET:
            asset_changes.update(COMBINABLE_ASSET[code])
        else:
            app_changes.update(COMBINABLE_APPLICATION[code])
    app = clean_application(clean_asset(**asset_changes), **app_changes)
    assert codes(app) == set(chosen)


def test_grounds_are_reported_per_asset():
    first = clean_asset(id=1, frozen=True)
    second = clean_asset(id=2, status=LegalStatus.PENDING, holder_ids=frozenset({CO_OWNER}))
    third = clean_asset(id=3)
    findings = examine(clean_application(first, second, third), ON)
    assert sorted((f.asset_id, f.ground.value) for f in findings) == [
        (1, "R05"),
        (2, "R01"),
        (2, "R03"),
    ]


def test_not_holder_does_not_also_claim_missing_consent():
    # R08 is about the pledgor's co-owners; a pledgor who holds nothing has none.
    stranger = clean_asset(holder_ids=frozenset({CO_OWNER, 4}))
    assert codes(clean_application(stranger)) == {"R01"}


# --- state machines ---------------------------------------------------------------------------

APPLICATION_ALLOWED = {
    ("submitted", "correction_requested"),
    ("submitted", "registered"),
    ("submitted", "refused"),
    ("correction_requested", "submitted"),
    ("correction_requested", "refused"),
}
PLEDGE_ALLOWED = {
    ("registered", "cancelled"),
    ("registered", "revoked"),
    ("registered", "defaulted"),
    ("defaulted", "in_disposal"),
    ("defaulted", "cancelled"),
    ("in_disposal", "realized"),
    ("in_disposal", "defaulted"),
    ("realized", "cancelled"),
}


@pytest.mark.parametrize(
    "current,target", list(itertools.product(ApplicationStatus, ApplicationStatus))
)
def test_application_transitions(current, target):
    expected = (current.value, target.value) in APPLICATION_ALLOWED
    assert can_move(APPLICATION_TRANSITIONS, current, target) is expected


@pytest.mark.parametrize("current,target", list(itertools.product(PledgeStatus, PledgeStatus)))
def test_pledge_transitions(current, target):
    expected = (current.value, target.value) in PLEDGE_ALLOWED
    assert can_move(PLEDGE_TRANSITIONS, current, target) is expected


def test_final_states_have_no_way_out():
    for final in (ApplicationStatus.REGISTERED, ApplicationStatus.REFUSED):
        assert not APPLICATION_TRANSITIONS[final]
    for final in (PledgeStatus.CANCELLED, PledgeStatus.REVOKED):
        assert not PLEDGE_TRANSITIONS[final]
