"""The examination checklist: one entry per ground R01-R12, and exactly ``examine``'s findings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ipx.registry.model import (
    INVALIDATION_RISK,
    ApplicationFacts,
    AssetFacts,
    AssetKind,
    Ground,
    LegalStatus,
    checklist,
    examine,
)

ON = date(2026, 6, 1)
PARTIES = st.integers(min_value=1, max_value=4)
DATES = st.one_of(st.none(), st.dates(ON - timedelta(days=900), ON + timedelta(days=900)))


@st.composite
def assets(draw, asset_id: int) -> AssetFacts:
    return AssetFacts(
        id=asset_id,
        kind=draw(st.sampled_from(list(AssetKind))),
        holder_ids=frozenset(draw(st.sets(PARTIES, min_size=1, max_size=3))),
        status=draw(st.sampled_from(list(LegalStatus))),
        expiry_date=draw(DATES),
        fees_paid_until=draw(DATES),
        frozen=draw(st.booleans()),
        invalidation_pending=draw(st.booleans()),
        registered_pledge_ids=frozenset(draw(st.sets(st.integers(1, 9), max_size=2))),
    )


@st.composite
def applications(draw) -> ApplicationFacts:
    count = draw(st.integers(min_value=0, max_value=3))
    amount = draw(st.one_of(st.none(), st.sampled_from([Decimal(-1), Decimal(0), Decimal(5)])))
    return ApplicationFacts(
        pledgor_id=draw(PARTIES),
        pledgee_id=draw(PARTIES),
        pledgor_known=draw(st.booleans()),
        pledgee_known=draw(st.booleans()),
        secured_amount=amount,
        debt_start=draw(DATES),
        debt_end=draw(DATES),
        contract_number=draw(st.sampled_from([None, "", "  ", "JK-1"])),
        co_owner_consent_ids=frozenset(draw(st.sets(PARTIES, max_size=3))),
        forfeiture_clause=draw(st.booleans()),
        acknowledged_risks=frozenset(draw(st.sets(st.just(INVALIDATION_RISK)))),
        assets=tuple(draw(assets(i + 1)) for i in range(count)),
    )


@settings(max_examples=400, deadline=None)
@given(applications())
def test_the_failing_checks_are_exactly_the_findings_of_examine(app):
    checks = checklist(app, ON)
    assert [c.ground for c in checks] == list(Ground)
    failing = {
        (c.ground, asset_id)
        for c in checks
        if not c.passed
        for asset_id in (c.failing_asset_ids or (None,))
    }
    assert failing == {(f.ground, f.asset_id) for f in examine(app, ON)}
    for check in checks:
        assert check.facts, f"{check.ground} has no fact behind it"
        if check.ground not in APP_GROUNDS:
            assert check.passed == (not check.failing_asset_ids)


APP_GROUNDS = {Ground.PARTIES_INVALID, Ground.CONTRACT_INCOMPLETE, Ground.FORFEITURE_CLAUSE}


def test_fees_paid_before_the_examination_date_is_the_fact_behind_r04():
    asset = AssetFacts(
        id=7,
        kind=AssetKind.INVENTION,
        holder_ids=frozenset({1}),
        status=LegalStatus.GRANTED,
        expiry_date=date(2040, 1, 1),
        fees_paid_until=date(2026, 3, 1),
        frozen=False,
        invalidation_pending=False,
    )
    app = ApplicationFacts(
        pledgor_id=1,
        pledgee_id=2,
        pledgor_known=True,
        pledgee_known=True,
        secured_amount=Decimal("100.00"),
        debt_start=ON,
        debt_end=ON + timedelta(days=365),
        contract_number="JK-1",
        co_owner_consent_ids=frozenset(),
        forfeiture_clause=False,
        acknowledged_risks=frozenset(),
        assets=(asset,),
    )
    checks = {c.ground: c for c in checklist(app, ON)}
    fees = checks[Ground.FEES_UNPAID]
    assert not fees.passed and fees.failing_asset_ids == (7,)
    (fact,) = fees.facts
    assert fact.code == "fees_paid_until_before" and fact.asset_id == 7
    assert fact.values["date"] == date(2026, 3, 1) and fact.values["on"] == ON
    assert [g for g, c in checks.items() if not c.passed] == [Ground.FEES_UNPAID]
