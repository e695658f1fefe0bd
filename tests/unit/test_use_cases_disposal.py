"""Default, disposal, bids, the sale and its distribution, run on the fakes: no database.

Each scenario starts from a registered pledge built by the registry's own use cases and then
runs the disposal commands through the real runner (``UseCases.run``), so the role check, the
commit and the handlers are the ones the API and the console use. The integration and API
tiers run the same handlers on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ipx.auth import Principal, Role
from ipx.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from ipx.registry import commands as c
from ipx.registry.disposal import defaults, disposals
from ipx.registry.numbers import make_patent_number
from ipx.registry.services import applications, assets, registration
from tests.fakes import FakeDisposals, FakeUnitOfWork
from tests.unit.test_use_cases import ADMIN, CLERK, _FakeRunner, _organization

D = Decimal


class Scene:
    """A registered pledge of an owner's inventions to a bank, two would-be buyers, and the
    runner around the fakes. Commands go through ``run`` with the clerk unless told."""

    def __init__(self, n_assets: int = 1, valuations: dict[int, Decimal] | None = None):
        self.uow = uow = FakeUnitOfWork()
        self.repos = uow.repositories
        if valuations is not None:
            self.repos.disposals = FakeDisposals(valuations)
            self.repos.disposals.locks = self.repos.locks
        self.owner = _organization(uow, "滨海理工大学", 1)
        self.bank = _organization(uow, "华东银行", 2)
        self.buyers = [_organization(uow, f"买方{i}有限公司", 10 + i).id for i in range(2)]
        self.assets = [
            assets.create_asset(uow, CLERK, _invention(self.owner.id, 424242 + i))
            for i in range(n_assets)
        ]
        self.asset_ids = [a.id for a in self.assets]
        terms = c.ApplicationTerms(
            pledgor_id=self.owner.id,
            pledgee_id=self.bank.id,
            asset_ids=self.asset_ids,
            secured_amount=D("5000000.00"),
            debt_start=date(2026, 3, 1),
            debt_end=date(2029, 2, 28),
            contract_number="HT-2026-001",
        )
        filed = applications.submit_application(uow, CLERK, c.SubmitApplication(terms))
        self.pledge = registration.register_application(uow, CLERK, c.RegisterPledge(filed.id))
        uow.commit()
        self.bank_key = Principal(key_id="bank", role=Role.BANK, party_id=self.bank.id)
        self.owner_key = Principal(key_id="owner", role=Role.OWNER, party_id=self.owner.id)
        self.runner = _FakeRunner(uow)

    def run(self, command, principal: Principal = CLERK):
        return self.runner.run(command, principal)

    def declare(self, principal="1000000.00", interest="50000.00", penalties="10000.00"):
        command = c.DeclareDefault(self.pledge.id, D(principal), D(interest), D(penalties))
        return self.run(command, self.bank_key)

    def open(self, **given):
        values = {"method": "auction", "costs": D("20000.00"), "reserve_price": D("800000.00")}
        values["announcement_days"] = 0
        return self.run(c.OpenDisposal(self.pledge.id, **(values | given)))

    def bid(self, disposal, bidder: int, amount: str):
        return self.run(c.RecordBid(disposal.id, bidder, D(amount)))

    def close(self, disposal):
        return self.run(c.CloseDisposal(disposal.id))

    def types(self, since: int = 0) -> list[str]:
        return [e.type for e in self.uow.committed[since:]]


def _invention(holder_id: int, serial: int) -> c.CreateAsset:
    return c.CreateAsset(
        kind="invention",
        number=make_patent_number(2020, 1, serial),
        title="一种锂电池正极材料",
        holder_ids=[holder_id],
        filing_date=date(2020, 5, 10),
        status="granted",
        fees_paid_until=date(2027, 5, 10),
    )


def _lines(disposal) -> list[tuple[str, int, Decimal]]:
    return [(line.kind, line.payee_id, line.amount) for line in disposal.lines]


@pytest.fixture
def scene() -> Scene:
    return Scene()


# Default ------------------------------------------------------------------------------------


def test_the_pledgee_declares_default_and_the_whole_debt_is_due(scene):
    view = scene.declare()
    assert (view["status"], scene.pledge.status) == ("defaulted", "defaulted")
    assert view["outstanding"] == {
        "costs": D("0.00"),
        "interest_penalties": D("60000.00"),
        "principal": D("1000000.00"),
        "total": D("1060000.00"),
    }
    (event,) = [e for e in scene.uow.committed if e.type == "pledge.defaulted"]
    assert event.refs["pledge"] == scene.pledge.id and "default" in event.refs
    assert "principal" not in event.data, "amounts are sealed, not published"
    assert event.private["principal"] == "1000000.00"


def test_only_the_pledgee_declares_default(scene):
    with pytest.raises(Forbidden):
        scene.run(
            c.DeclareDefault(scene.pledge.id, D("1.00"), D(0), D(0)),
            Principal(key_id="pledgor-bank", role=Role.BANK, party_id=scene.owner.id),
        )
    stranger = Principal(key_id="other", role=Role.BANK, party_id=scene.buyers[0])
    with pytest.raises(NotFound):  # another bank does not see the pledge at all
        scene.run(c.DeclareDefault(scene.pledge.id, D("1.00"), D(0), D(0)), stranger)
    with pytest.raises(Forbidden):  # owners may not run the use case (the runner's check)
        scene.run(c.DeclareDefault(scene.pledge.id, D("1.00"), D(0), D(0)), scene.owner_key)
    assert scene.pledge.status == "registered" and not scene.repos.defaults.rows
    scene.run(c.DeclareDefault(scene.pledge.id, D("1.00"), D(0), D(0)), CLERK)  # on its behalf
    assert scene.pledge.status == "defaulted"


def test_a_default_needs_an_amount_and_is_declared_once(scene):
    with pytest.raises(ValidationFailed) as empty:
        scene.declare("0.00", "0.00", "0.00")
    assert "principal" in empty.value.extra["errors"]
    assert scene.pledge.status == "registered"
    scene.declare()
    with pytest.raises(InvalidTransition):
        scene.declare()
    assert len(scene.repos.defaults.rows) == 1


def test_a_cancelled_pledge_cannot_default(scene):
    scene.run(c.CancelPledge(scene.pledge.id, "repaid"))
    with pytest.raises(InvalidTransition):
        scene.declare()


# Timely disposal requested by the pledgor ----------------------------------------------------


def test_the_pledgor_asks_for_disposal_only_once_the_debt_fell_due(scene):
    with pytest.raises(Conflict) as early:
        scene.run(c.RequestDisposal(scene.pledge.id, "请尽快处置"), scene.owner_key)
    assert early.value.code == "debt-not-due"
    scene.uow.now = scene.uow.now.replace(year=2029, month=3, day=1)  # the day after debt_end
    request = scene.run(c.RequestDisposal(scene.pledge.id, "请尽快处置"), scene.owner_key)
    assert (request.party_id, request.note) == (scene.owner.id, "请尽快处置")
    assert scene.types()[-1] == "pledge.disposal_requested"


def test_after_default_the_pledgor_may_ask_at_once_and_nobody_else_may(scene):
    scene.declare()
    with pytest.raises(Forbidden):  # banks may not run it at all
        scene.run(c.RequestDisposal(scene.pledge.id), scene.bank_key)
    other_owner = Principal(key_id="o2", role=Role.OWNER, party_id=scene.buyers[0])
    with pytest.raises(NotFound):
        scene.run(c.RequestDisposal(scene.pledge.id), other_owner)
    assert not scene.repos.defaults.requests.rows
    scene.run(c.RequestDisposal(scene.pledge.id), scene.owner_key)
    assert len(scene.repos.defaults.requests.rows) == 1


def test_a_pledge_in_disposal_cannot_be_sent_to_disposal_again(scene):
    scene.declare()
    scene.open()
    with pytest.raises(InvalidTransition):
        scene.run(c.RequestDisposal(scene.pledge.id), scene.owner_key)


# Opening a disposal -------------------------------------------------------------------------


def test_a_disposal_opens_only_on_a_defaulted_pledge(scene):
    with pytest.raises(InvalidTransition):
        scene.open()
    assert not scene.repos.disposals.rows
    scene.declare()
    disposal = scene.open()
    assert (disposal.status, disposal.reserve_price, disposal.reserve_source) == (
        "open",
        D("800000.00"),
        "given",
    )
    assert disposal.asset_ids == scene.asset_ids and scene.pledge.status == "in_disposal"
    assert disposal.costs_payee_id == scene.bank.id  # the pledgee, unless someone is named
    assert scene.types()[-1] == "disposal.opened"


def test_bids_open_after_the_announcement_period(scene):
    scene.declare()
    disposal = scene.open(announcement_days=None)
    assert disposal.bids_open_at == scene.uow.now + timedelta(days=7)


def test_the_reserve_defaults_to_the_latest_valuations_lower_bound():
    scene = Scene(n_assets=2, valuations={1: D("300000.00"), 2: D("450000.00")})
    scene.declare()
    disposal = scene.open(reserve_price=None)
    assert (disposal.reserve_price, disposal.reserve_source) == (D("750000.00"), "valuation")


def test_without_a_valuation_of_every_asset_the_clerk_gives_the_reserve():
    scene = Scene(n_assets=2, valuations={1: D("300000.00")})
    scene.declare()
    with pytest.raises(ValidationFailed) as refused:
        scene.open(reserve_price=None)
    assert "reserve_price" in refused.value.extra["errors"]
    assert scene.pledge.status == "defaulted" and not scene.repos.disposals.rows


def test_only_the_pledges_own_assets_and_known_payees_are_accepted():
    scene = Scene(n_assets=2)
    scene.declare()
    with pytest.raises(ValidationFailed) as stray:
        scene.open(asset_ids=[scene.asset_ids[0], 99])
    assert "asset_ids" in stray.value.extra["errors"]
    with pytest.raises(ValidationFailed) as payee:
        scene.open(costs_payee_id=999)
    assert "costs_payee_id" in payee.value.extra["errors"]
    assert not scene.repos.disposals.rows
    part = scene.open(asset_ids=[scene.asset_ids[1]])
    assert part.asset_ids == [scene.asset_ids[1]]


def test_a_frozen_asset_is_not_disposed_of(scene):
    scene.declare()
    scene.run(c.FreezeAsset(scene.asset_ids[0], "上海知识产权法院", "(2026)沪73财保1号"))
    with pytest.raises(Conflict) as refused:
        scene.open()
    assert refused.value.code == "asset-frozen"
    assert scene.pledge.status == "defaulted"


def test_an_asset_offered_by_an_open_disposal_is_not_offered_twice():
    scene = Scene(n_assets=2)
    scene.declare()
    scene.open(asset_ids=[scene.asset_ids[0]])
    scene.pledge.status = "defaulted"  # as if a second opening got past the pledge's state
    with pytest.raises(Conflict) as busy:
        scene.open(asset_ids=scene.asset_ids)
    assert busy.value.code == "asset-in-disposal"
    assert len(scene.repos.disposals.rows) == 1


class _RacingDisposals(FakeDisposals):
    """A concurrent transaction's open disposal: not yet visible to reads, but the unique
    index (the fakes' unique keys) still refuses a second one."""

    def on_offer(self, asset_ids):
        return []


def test_the_databases_refusal_of_a_second_open_disposal_is_asset_in_disposal(scene):
    racing = _RacingDisposals()
    racing.locks = scene.repos.locks
    scene.repos.disposals = racing
    scene.declare()
    scene.open()
    scene.pledge.status = "defaulted"
    commits = scene.uow.commits
    with pytest.raises(Conflict) as lost:
        scene.open()
    assert lost.value.code == "asset-in-disposal"
    assert scene.uow.commits == commits and len(racing.rows) == 1


# Bids ---------------------------------------------------------------------------------------


def test_bids_follow_the_rules_and_are_refused_with_the_first_broken_one(scene):
    scene.declare()
    disposal = scene.open(announcement_days=None)
    buyer, other = scene.buyers

    def refusal(bidder, amount):
        with pytest.raises(Conflict) as refused:
            scene.bid(disposal, bidder, amount)
        return refused.value.code

    assert refusal(buyer, "900000.00") == "bidding-not-open"
    scene.uow.now += timedelta(days=7)
    assert refusal(scene.owner.id, "900000.00") == "bidder-not-eligible"
    assert refusal(scene.bank.id, "900000.00") == "bidder-not-eligible"
    assert refusal(buyer, "799999.99") == "bid-below-reserve"
    assert scene.bid(disposal, buyer, "900000.00").amount == D("900000.00")
    assert refusal(other, "900000.00") == "bid-not-highest"
    assert scene.bid(disposal, other, "900000.01").bidder_id == other
    assert [b.amount for b in scene.repos.disposals.bids(disposal.id)] == [
        D("900000.00"),
        D("900000.01"),
    ]


def test_a_listing_takes_any_bid_at_or_above_the_reserve(scene):
    scene.declare()
    disposal = scene.open(method="listing")
    scene.bid(disposal, scene.buyers[0], "900000.00")
    scene.bid(disposal, scene.buyers[1], "800000.00")  # lower than the best: fine in a listing
    assert len(scene.repos.disposals.bids(disposal.id)) == 2


def test_a_bid_names_a_known_bidder_and_an_existing_disposal(scene):
    scene.declare()
    disposal = scene.open()
    with pytest.raises(ValidationFailed) as unknown:
        scene.bid(disposal, 999, "900000.00")
    assert "bidder_id" in unknown.value.extra["errors"]
    with pytest.raises(NotFound):
        scene.run(c.RecordBid(999, scene.buyers[0], D("900000.00")))
    with pytest.raises(Forbidden):  # bids are recorded by the exchange's clerks
        scene.run(c.RecordBid(disposal.id, scene.buyers[0], D("900000.00")), scene.bank_key)
    assert not scene.repos.disposals.bids(disposal.id)


def test_a_bids_amount_is_sealed_in_its_event(scene):
    scene.declare()
    scene.bid(scene.open(), scene.buyers[0], "900000.00")
    event = scene.uow.committed[-1]
    assert event.type == "disposal.bid" and event.refs["parties"] == [scene.buyers[0]]
    assert "amount" not in event.data and event.private["amount"] == "900000.00"


# Closing: the sale and its distribution -------------------------------------------------------


def test_a_sale_pays_costs_interest_principal_then_the_surplus_to_the_pledgor(scene):
    scene.declare()
    disposal = scene.open()
    scene.bid(disposal, scene.buyers[0], "900000.00")
    scene.bid(disposal, scene.buyers[1], "1200000.00")
    since = len(scene.uow.committed)
    closed = scene.close(disposal)
    bank, owner = scene.bank.id, scene.owner.id
    assert (closed.status, closed.price, closed.buyer_id) == (
        "sold",
        D("1200000.00"),
        scene.buyers[1],
    )
    assert _lines(closed) == [
        ("costs", bank, D("20000.00")),
        ("interest_penalties", bank, D("60000.00")),
        ("principal", bank, D("1000000.00")),
        ("surplus", owner, D("120000.00")),
    ]
    assert (closed.shortfall, closed.final) == (D("0.00"), True)
    assert (scene.pledge.status, scene.pledge.closing_reason) == ("cancelled", "realized")
    assert not any(link.active for link in scene.pledge.assets)
    assert scene.assets[0].holder_ids == [scene.buyers[1]]  # ownership passed to the buyer
    assert scene.types(since) == [
        "disposal.sold",
        "asset.assignment",
        "pledge.realized",
        "pledge.cancelled",
    ]
    (sale,) = scene.repos.disposals.sales.rows.values()
    assert (sale.asset_id, sale.price, sale.lot_size, sale.method) == (
        scene.asset_ids[0],
        D("1200000.00"),
        1,
        "auction",
    )
    assert not scene.repos.disposals.claims.rows


def test_a_sale_below_the_debt_leaves_the_shortfall_as_an_unsecured_claim(scene):
    scene.declare()
    disposal = scene.open()
    scene.bid(disposal, scene.buyers[0], "900000.00")
    closed = scene.close(disposal)
    assert _lines(closed)[-1] == ("principal", scene.bank.id, D("820000.00"))
    assert closed.shortfall == D("180000.00")
    (claim,) = scene.repos.disposals.claims.rows.values()
    assert (claim.creditor_id, claim.debtor_id, claim.amount) == (
        scene.bank.id,
        scene.owner.id,
        D("180000.00"),
    )
    assert scene.pledge.status == "cancelled"


def test_a_failed_disposal_carries_its_costs_into_the_next_sale(scene):
    scene.declare()
    first = scene.open()
    since = len(scene.uow.committed)
    assert scene.close(first).status == "failed"
    assert scene.types(since) == ["disposal.failed"]
    assert scene.pledge.status == "defaulted"
    default = scene.repos.defaults.of_pledge(scene.pledge.id)
    assert default.costs_due == D("20000.00")
    second = scene.open(costs=D("5000.00"))  # the asset is free to be offered again
    scene.bid(second, scene.buyers[0], "2000000.00")
    assert _lines(scene.close(second))[0] == ("costs", scene.bank.id, D("25000.00"))


def test_a_partial_sale_reduces_the_debt_and_the_rest_stays_pledged():
    scene = Scene(n_assets=2)
    scene.declare()
    first, second = scene.asset_ids
    disposal = scene.open(asset_ids=[first], reserve_price=D("400000.00"))
    scene.bid(disposal, scene.buyers[0], "500000.00")
    closed = scene.close(disposal)
    assert (closed.final, closed.shortfall) == (False, D("0.00"))
    assert scene.pledge.status == "defaulted"
    assert scene.repos.pledges.encumbering(first) is None
    assert scene.repos.pledges.encumbering(second) is scene.pledge
    default = scene.repos.defaults.of_pledge(scene.pledge.id)
    assert (default.costs_due, default.interest_penalties_due, default.principal_due) == (
        D("0.00"),
        D("0.00"),
        D("580000.00"),
    )
    assert scene.types()[-1] == "pledge.partially_realized"


def test_a_partial_sale_that_pays_the_whole_debt_ends_the_pledge():
    scene = Scene(n_assets=2)
    scene.declare()
    disposal = scene.open(asset_ids=[scene.asset_ids[0]])
    scene.bid(disposal, scene.buyers[0], "1100000.00")
    closed = scene.close(disposal)
    assert closed.final is True
    assert _lines(closed)[-1] == ("surplus", scene.owner.id, D("20000.00"))
    assert scene.pledge.status == "cancelled"
    assert scene.repos.pledges.encumbering(scene.asset_ids[1]) is None  # released too


def test_closing_waits_for_the_announcement_and_closing_again_answers_the_same(scene):
    scene.declare()
    disposal = scene.open(announcement_days=None)
    with pytest.raises(Conflict) as early:
        scene.close(disposal)
    assert early.value.code == "bidding-not-open" and disposal.status == "open"
    scene.uow.now += timedelta(days=7)
    scene.bid(disposal, scene.buyers[0], "900000.00")
    scene.close(disposal)
    events = len(scene.uow.committed)
    again = scene.close(disposal)
    assert again is disposal and again.status == "sold"
    assert len(scene.uow.committed) == events, "a repeated close records nothing"


def test_an_asset_frozen_after_the_disposal_opened_stops_the_sale(scene):
    scene.declare()
    disposal = scene.open()
    scene.bid(disposal, scene.buyers[0], "900000.00")
    scene.run(c.FreezeAsset(scene.asset_ids[0], "上海知识产权法院", "(2026)沪73财保1号"))
    commits = scene.uow.commits
    with pytest.raises(Conflict) as frozen:
        scene.close(disposal)
    assert frozen.value.code == "asset-frozen" and scene.uow.commits == commits


def test_closing_locks_pledge_default_disposal_then_assets_in_that_order():
    scene = Scene(n_assets=2)
    scene.declare()
    disposal = scene.open()
    scene.bid(disposal, scene.buyers[0], "900000.00")
    del scene.repos.locks[:]
    scene.close(disposal)
    kinds = [kind for kind, _ in scene.repos.locks]
    assert kinds == ["pledge", "default", "disposal", "asset", "asset"]
    assert [i for kind, i in scene.repos.locks if kind == "asset"] == sorted(scene.asset_ids)


# Withdrawal ---------------------------------------------------------------------------------


def test_withdrawing_because_the_debt_was_paid_ends_the_pledge_as_repaid(scene):
    scene.declare()
    disposal = scene.open()
    since = len(scene.uow.committed)
    withdrawn = scene.run(c.WithdrawDisposal(disposal.id, "debt_paid"))
    assert (withdrawn.status, withdrawn.withdrawal_reason) == ("withdrawn", "debt_paid")
    assert (scene.pledge.status, scene.pledge.closing_reason) == ("cancelled", "repaid")
    assert scene.repos.disposals.on_offer(scene.asset_ids) == []
    assert scene.repos.defaults.of_pledge(scene.pledge.id).costs_due == D("0.00")
    assert scene.types(since) == ["disposal.withdrawn", "pledge.cancelled"]


def test_a_court_stay_returns_the_pledge_to_default_and_the_costs_stay_owed(scene):
    scene.declare()
    disposal = scene.open()
    scene.run(c.WithdrawDisposal(disposal.id, "court_order", "(2026)沪73民初1号"))
    assert scene.pledge.status == "defaulted"
    assert scene.repos.defaults.of_pledge(scene.pledge.id).costs_due == D("20000.00")
    events = len(scene.uow.committed)
    scene.run(c.WithdrawDisposal(disposal.id, "court_order"))  # the same again: same answer
    assert len(scene.uow.committed) == events
    with pytest.raises(InvalidTransition):
        scene.run(c.WithdrawDisposal(disposal.id, "debt_paid"))
    assert scene.repos.defaults.of_pledge(scene.pledge.id).costs_due == D("20000.00")


def test_a_sold_disposal_cannot_be_withdrawn_and_clerks_alone_withdraw(scene):
    scene.declare()
    disposal = scene.open()
    with pytest.raises(Forbidden):
        scene.run(c.WithdrawDisposal(disposal.id, "parties_agreement"), scene.bank_key)
    with pytest.raises(NotFound):
        scene.run(c.WithdrawDisposal(999, "parties_agreement"))
    scene.bid(disposal, scene.buyers[0], "900000.00")
    scene.close(disposal)
    with pytest.raises(InvalidTransition):
        scene.run(c.WithdrawDisposal(disposal.id, "parties_agreement"))


# Roles, through the runner ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "allowed"),
    [
        (c.DeclareDefault, {Role.BANK, Role.CLERK}),
        (c.RequestDisposal, {Role.OWNER, Role.CLERK}),
        (c.OpenDisposal, {Role.CLERK}),
        (c.RecordBid, {Role.CLERK}),
        (c.CloseDisposal, {Role.CLERK}),
        (c.WithdrawDisposal, {Role.CLERK}),
        (c.RecordTransfer, {Role.CLERK}),
    ],
)
def test_which_roles_may_run_each_disposal_use_case(command, allowed):
    runner = _FakeRunner(FakeUnitOfWork())
    for role in Role:
        principal = Principal(key_id=role.value, role=role, party_id=1)
        expected = role in allowed or role is Role.ADMIN
        assert runner.allowed(command, principal) is expected, role


def test_a_refused_role_runs_nothing_and_an_admin_may(scene):
    auditor = Principal(key_id="audit", role=Role.AUDITOR, party_id=None)
    commits = scene.uow.commits
    with pytest.raises(Forbidden):
        scene.run(c.DeclareDefault(scene.pledge.id, D("1.00"), D(0), D(0)), auditor)
    assert scene.uow.commits == commits and scene.pledge.status == "registered"
    scene.run(c.DeclareDefault(scene.pledge.id, D("1.00"), D(0), D(0)), ADMIN)
    assert scene.pledge.status == "defaulted" and scene.uow.commits == commits + 1


def test_reads_apply_the_visibility_policy(scene):
    scene.declare()
    disposal = scene.open()
    uow = scene.uow
    assert disposals.get_disposal(uow, scene.owner_key, disposal.id) is disposal
    outsider = Principal(key_id="o2", role=Role.OWNER, party_id=scene.buyers[0])
    with pytest.raises(NotFound):
        disposals.get_disposal(uow, outsider, disposal.id)
    with pytest.raises(NotFound):
        defaults.get_default(uow, outsider, scene.pledge.id)
    assert defaults.get_default(uow, scene.bank_key, scene.pledge.id)["status"] == "in_disposal"
