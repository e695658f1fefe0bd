"""The registry's use cases run on small fakes: no database, no Flask.

What a handler decides (validation, conflicts, which events it records and what they reveal)
is checked here in microseconds; the integration and API tiers check the same handlers
against SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from ipx.auth import Principal, Role
from ipx.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    RegistrationRefused,
    Unauthorized,
    ValidationFailed,
)
from ipx.registry import commands as c
from ipx.registry.handlers import HANDLERS
from ipx.registry.numbers import make_credit_code, make_identity_number, make_patent_number
from ipx.registry.services import applications, assets, parties, pledges, registration
from ipx.usecases import UnknownCommand, UseCases
from tests.fakes import FakeUnitOfWork

CLERK = Principal(key_id="clerk", role=Role.CLERK, party_id=None)
BANK = Principal(key_id="bank", role=Role.BANK, party_id=9)
ADMIN = Principal(key_id="admin", role=Role.ADMIN, party_id=None)


def _organization(uow, name="滨海理工大学", serial=1):
    code = make_credit_code(f"MA{serial:06d}", "310000")
    return parties.create_party(uow, CLERK, c.CreateParty("organization", name, credit_code=code))


def _invention(holder_ids, serial=424242, **extra):
    return c.CreateAsset(
        kind="invention",
        number=make_patent_number(2020, 1, serial),
        title="一种锂电池正极材料",
        holder_ids=holder_ids,
        filing_date=date(2020, 5, 10),
        status="granted",
        **extra,
    )


def test_an_organization_is_created_with_one_public_event():
    uow = FakeUnitOfWork()
    party = _organization(uow)
    assert party.id == 1 and party.credit_code
    (event,) = uow.events
    assert event.type == "party.created"
    assert event.data == {"kind": "organization", "credit_code": party.credit_code}
    assert "name" in event.digests and f"state:party:{party.id}" in event.digests


def test_an_individuals_identity_number_is_kept_only_as_a_digest():
    uow = FakeUnitOfWork()
    number = make_identity_number("110101", date(1980, 1, 2), 123)
    party = parties.create_party(uow, CLERK, c.CreateParty("individual", "张三", id_number=number))
    assert party.id_number_digest and number not in party.id_number_digest
    (event,) = uow.events
    assert event.data == {"kind": "individual"}
    assert number not in repr(event) and "张三" not in repr(event)


def test_a_second_party_with_the_same_credit_code_is_a_conflict():
    uow = FakeUnitOfWork()
    first = _organization(uow)
    with pytest.raises(Conflict) as refused:
        parties.create_party(
            uow, CLERK, c.CreateParty("organization", "别名", credit_code=first.credit_code)
        )
    assert refused.value.code == "party-exists"
    assert len(uow.repositories.parties.rows) == 1


def test_an_asset_gets_its_normalised_number_and_statutory_expiry():
    uow = FakeUnitOfWork()
    holder = _organization(uow)
    asset = assets.create_asset(uow, CLERK, _invention([holder.id]))
    assert asset.number == make_patent_number(2020, 1, 424242)
    assert asset.expiry_date == date(2040, 5, 9)  # the day before the 20th anniversary
    assert asset.holder_ids == [holder.id]
    assert uow.events[-1].type == "asset.registered"


def test_an_asset_with_unknown_holders_or_a_wrong_check_character_is_refused_per_field():
    uow = FakeUnitOfWork()
    with pytest.raises(ValidationFailed) as unknown:
        assets.create_asset(uow, CLERK, _invention([77]))
    assert "holder_ids" in unknown.value.extra["errors"]
    number = make_patent_number(2020, 1, 424242)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    bad = c.CreateAsset("invention", wrong, "t", [1], date(2020, 5, 10), "granted")
    with pytest.raises(ValidationFailed) as mistyped:
        assets.create_asset(uow, CLERK, bad)
    assert "number" in mistyped.value.extra["errors"]
    assert not uow.repositories.assets.rows and not uow.events


def test_the_same_number_twice_is_asset_exists():
    uow = FakeUnitOfWork()
    holder = _organization(uow)
    assets.create_asset(uow, CLERK, _invention([holder.id]))
    with pytest.raises(Conflict) as refused:
        assets.create_asset(uow, CLERK, _invention([holder.id]))
    assert refused.value.code == "asset-exists"


def test_an_asset_stays_frozen_until_its_last_freeze_is_lifted():
    uow = FakeUnitOfWork()
    asset = assets.create_asset(uow, CLERK, _invention([_organization(uow).id]))
    first = assets.add_freeze(
        uow, CLERK, c.FreezeAsset(asset.id, "上海知识产权法院", "(2026)沪73财保1号")
    )
    second = assets.add_freeze(
        uow, CLERK, c.FreezeAsset(asset.id, "北京知识产权法院", "(2026)京73财保2号")
    )
    assert asset.frozen
    assets.lift_freeze(uow, CLERK, c.LiftFreeze(first.id))
    assert asset.frozen, "another order still holds the asset"
    assets.lift_freeze(uow, CLERK, c.LiftFreeze(second.id))
    assert not asset.frozen
    with pytest.raises(Conflict):
        assets.lift_freeze(uow, CLERK, c.LiftFreeze(second.id))
    with pytest.raises(NotFound):
        assets.lift_freeze(uow, CLERK, c.LiftFreeze(99))
    types = [e.type for e in uow.events]
    assert types[-4:] == [
        "asset.frozen",
        "asset.frozen",
        "asset.freeze_lifted",
        "asset.freeze_lifted",
    ]


def test_a_change_that_changes_nothing_records_nothing():
    uow = FakeUnitOfWork()
    asset = assets.create_asset(uow, CLERK, _invention([_organization(uow).id]))
    before = len(uow.events)
    assets.update_asset(uow, CLERK, c.UpdateAsset(asset.id, {"status": "granted"}))
    assert len(uow.events) == before
    assets.update_asset(uow, CLERK, c.UpdateAsset(asset.id, {"fees_paid_until": date(2027, 5, 10)}))
    assert uow.events[-1].type == "asset.changed"
    assert uow.events[-1].data == {"fees_paid_until": "2027-05-10"}


def test_a_change_asked_for_before_another_is_refused_and_changes_nothing():
    uow = FakeUnitOfWork()
    asset = assets.create_asset(uow, CLERK, _invention([_organization(uow).id]))
    seen = asset.updated_at
    uow.now = seen + timedelta(minutes=5)  # a later transaction
    assets.update_asset(uow, CLERK, c.UpdateAsset(asset.id, {"status": "lapsed"}, seen))
    before = len(uow.events)
    stale = c.UpdateAsset(asset.id, {"status": "granted"}, seen)  # shown before the lapse
    with pytest.raises(Conflict) as refused:
        assets.update_asset(uow, CLERK, stale)
    assert refused.value.code == "asset-changed"
    assert (asset.status, len(uow.events)) == ("lapsed", before)


class _FakeRunner(UseCases):
    """The real runner around a fake unit of work."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(None, digest_key=lambda: b"", cases=[HANDLERS])  # type: ignore[arg-type]
        self.uow = uow

    def unit_of_work(self, principal, *, write=True, held=None):
        return self.uow


def test_the_runner_commits_a_use_case_once_and_returns_its_result():
    uow = FakeUnitOfWork()
    code = make_credit_code("MA000001", "310000")
    party = _FakeRunner(uow).run(c.CreateParty("organization", "华东", credit_code=code), CLERK)
    assert party.name == "华东" and uow.commits == 1
    assert [e.type for e in uow.committed] == ["party.created"]


def test_the_runner_checks_the_role_before_anything_runs():
    uow = FakeUnitOfWork()
    runner = _FakeRunner(uow)
    code = make_credit_code("MA000001", "310000")
    with pytest.raises(Forbidden):
        runner.run(c.CreateParty("organization", "华东", credit_code=code), BANK)
    with pytest.raises(Unauthorized):
        runner.run(c.CreateParty("organization", "华东", credit_code=code), None)  # type: ignore[arg-type]
    assert uow.commits == 0 and not uow.repositories.parties.rows
    runner.run(c.CreateParty("organization", "华东", credit_code=code), ADMIN)  # admins may
    assert uow.commits == 1


def test_a_failing_use_case_commits_nothing():
    uow = FakeUnitOfWork()
    with pytest.raises(ValidationFailed):
        _FakeRunner(uow).run(
            c.CreateAsset("invention", "x", "t", [1], date(2020, 1, 1), "granted"), CLERK
        )
    assert uow.commits == 0 and not uow.committed


def test_every_command_has_exactly_one_use_case_and_an_unknown_one_is_refused():
    commands = {
        obj
        for obj in vars(c).values()
        if isinstance(obj, type) and obj.__module__ == c.__name__ and obj is not c.ApplicationTerms
    }
    assert commands == set(HANDLERS)
    with pytest.raises(UnknownCommand):
        _FakeRunner(FakeUnitOfWork()).run(object(), CLERK)
    with pytest.raises(ValueError, match="registered twice"):
        UseCases(None, digest_key=lambda: b"", cases=[HANDLERS, HANDLERS])  # type: ignore[arg-type]


def _pledgeable(uow):
    """A granted invention, its holder and a bank, in the fakes."""
    owner = _organization(uow, "滨海理工大学", 1)
    bank = _organization(uow, "华东银行", 2)
    fees = c.CreateAsset(
        kind="invention",
        number=make_patent_number(2020, 1, 424242),
        title="一种锂电池正极材料",
        holder_ids=[owner.id],
        filing_date=date(2020, 5, 10),
        status="granted",
        fees_paid_until=date(2027, 5, 10),
    )
    asset = assets.create_asset(uow, CLERK, fees)
    return owner, bank, asset


def _terms(owner, bank, asset, contract="HT-2026-001"):
    return c.ApplicationTerms(
        pledgor_id=owner.id,
        pledgee_id=bank.id,
        asset_ids=[asset.id],
        secured_amount=Decimal("1250000.00"),
        debt_start=date(2026, 3, 1),
        debt_end=date(2029, 2, 28),
        contract_number=contract,
    )


def test_a_bank_files_only_as_the_pledgee():
    uow = FakeUnitOfWork()
    owner, bank, asset = _pledgeable(uow)
    other_bank = Principal(key_id="b2", role=Role.BANK, party_id=bank.id + 100)
    with pytest.raises(Forbidden):
        applications.submit_application(
            uow, other_bank, c.SubmitApplication(_terms(owner, bank, asset))
        )
    own = Principal(key_id="b1", role=Role.BANK, party_id=bank.id)
    filed = applications.submit_application(
        uow, own, c.SubmitApplication(_terms(owner, bank, asset))
    )
    assert filed.status == "submitted" and filed.submitted_by == "key:b1"


def test_registration_numbers_the_pledge_at_commit_and_a_second_pledge_is_refused_r09():
    uow = FakeUnitOfWork()
    owner, bank, asset = _pledgeable(uow)
    first = applications.submit_application(
        uow, CLERK, c.SubmitApplication(_terms(owner, bank, asset))
    )
    second = applications.submit_application(
        uow, CLERK, c.SubmitApplication(_terms(owner, bank, asset, "HT-2026-002"))
    )
    pledge = registration.register_application(uow, CLERK, c.RegisterPledge(first.id))
    assert pledge.registration_number == f"pending-{first.id}"  # numbered in commit order
    uow.commit()
    assert pledge.registration_number == "IPX-P-2026-000001"
    assert uow.committed[-1].type == "pledge.registered"
    with pytest.raises(RegistrationRefused) as refused:
        registration.register_application(uow, CLERK, c.RegisterPledge(second.id))
    assert [g["code"] for g in refused.value.extra["grounds"]] == ["R09"]
    with pytest.raises(InvalidTransition):
        registration.register_application(uow, CLERK, c.RegisterPledge(first.id))


def test_examination_reports_every_ground_at_once():
    uow = FakeUnitOfWork()
    owner, bank, asset = _pledgeable(uow)
    asset.fees_paid_until = date(2026, 1, 1)  # before the examination day: R04
    assets.add_freeze(uow, CLERK, c.FreezeAsset(asset.id, "上海知识产权法院", "(2026)沪73财保1号"))
    terms = replace(_terms(owner, bank, asset), forfeiture_clause=True, contract_number=None)
    filed = applications.submit_application(uow, CLERK, c.SubmitApplication(terms))
    with pytest.raises(RegistrationRefused) as refused:
        registration.register_application(uow, CLERK, c.RegisterPledge(filed.id))
    codes = [g["code"] for g in refused.value.extra["grounds"]]
    assert sorted(codes) == ["R04", "R05", "R07", "R11"]
    assert not uow.repositories.pledges.rows


def test_a_refused_application_keeps_the_clerks_grounds_once_each():
    uow = FakeUnitOfWork()
    owner, bank, asset = _pledgeable(uow)
    filed = applications.submit_application(
        uow, CLERK, c.SubmitApplication(_terms(owner, bank, asset))
    )
    refused = applications.refuse_application(
        uow, CLERK, c.RefuseApplication(filed.id, ["R05", "R05", "R08"], "材料不全")
    )
    assert refused.status == "refused"
    assert [g["code"] for g in refused.grounds] == ["R05", "R08"]
    assert uow.events[-1].data == {"grounds": ["R05", "R08"]}


def test_a_pledge_is_changed_cancelled_and_then_frees_its_asset():
    uow = FakeUnitOfWork()
    owner, bank, asset = _pledgeable(uow)
    filed = applications.submit_application(
        uow, CLERK, c.SubmitApplication(_terms(owner, bank, asset))
    )
    pledge = registration.register_application(uow, CLERK, c.RegisterPledge(filed.id))
    uow.commit()
    changed = pledges.change_pledge(
        uow, CLERK, c.ChangePledge(pledge.id, {"secured_amount": Decimal("900000.00")})
    )
    assert changed.secured_amount == Decimal("900000.00")
    assert uow.events[-1].private == {"secured_amount": "900000.00"}  # sealed, not public
    pledges.cancel_pledge(uow, CLERK, c.CancelPledge(pledge.id, "repaid"))
    assert pledge.status == "cancelled" and not any(link.active for link in pledge.assets)
    with pytest.raises(InvalidTransition):
        pledges.revoke_pledge(uow, CLERK, c.RevokePledge(pledge.id, "filed in error"))
    outsider = Principal(key_id="o", role=Role.OWNER, party_id=owner.id + 100)
    with pytest.raises(NotFound):
        pledges.get_pledge(uow, outsider, pledge.id)


def test_allowed_says_which_actions_a_role_may_take():
    runner = _FakeRunner(FakeUnitOfWork())
    assert runner.allowed(c.RegisterPledge, CLERK) and runner.allowed(c.RegisterPledge, ADMIN)
    assert not runner.allowed(c.RegisterPledge, BANK)
    assert runner.allowed(c.SubmitApplication, BANK)
    assert not runner.allowed(c.SubmitApplication, None) and not runner.allowed(object, CLERK)
