"""The registry's side of the support programmes: a pledge loan's and a firm's facts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipx.china_time import china_date
from ipx.errors import NotFound
from ipx.registry.disposal.model import DisposalStatus
from ipx.registry.disposal.orm import Disposal, PledgeDefault
from ipx.registry.model import PledgeStatus
from ipx.registry.orm import Asset, Party, Pledge
from ipx.support.model import FirmFacts, LoanFacts
from ipx.support.money import cents


class SupportFacts:
    """``ipx.support.ports.RegistryFacts`` over the registry's tables."""

    def loans(self, session: Session, pledge_ids: list[int]) -> list[LoanFacts]:
        pledges = {
            p.id: p
            for p in session.execute(select(Pledge).where(Pledge.id.in_(pledge_ids))).scalars()
        }
        if missing := [i for i in pledge_ids if i not in pledges]:
            raise NotFound(f"No pledge with id {missing[0]}.")
        return [self._loan(session, pledges[i]) for i in pledge_ids]

    def _loan(self, session: Session, pledge: Pledge) -> LoanFacts:
        kinds = session.execute(
            select(Asset.kind).where(Asset.id.in_(pledge.asset_ids)).distinct()
        ).scalars()
        earlier = session.execute(
            select(func.count())
            .select_from(Pledge)
            .where(
                Pledge.pledgor_id == pledge.pledgor_id,
                Pledge.registered_at < pledge.registered_at,
                Pledge.status != PledgeStatus.REVOKED.value,
            )
        ).scalar_one()
        # Dates in force are China's (``china_date``), not the UTC timestamps' dates.
        return LoanFacts(
            pledge_id=pledge.id,
            pledgor_id=pledge.pledgor_id,
            pledgee_id=pledge.pledgee_id,
            principal=cents(pledge.secured_amount),
            currency=pledge.currency,
            registered_on=china_date(pledge.registered_at),
            closed_on=china_date(pledge.closed_at) if pledge.closed_at else None,
            revoked=pledge.status == PledgeStatus.REVOKED.value,
            asset_kinds=tuple(sorted(kinds)),
            first_loan=earlier == 0,
            unpaid_principal=_unpaid_principal(session, pledge.id),
        )

    def firm(self, session: Session, party_id: int) -> FirmFacts:
        party = session.get(Party, party_id)
        if party is None:
            raise NotFound(f"No party with id {party_id}.")
        return FirmFacts(party_id=party.id, sme=party.sme, sme_source=party.sme_source)

    def party_names(self, session: Session, party_ids: set[int]) -> dict[int, str]:
        rows = session.execute(select(Party.id, Party.name).where(Party.id.in_(party_ids)))
        return {row.id: row.name for row in rows}


def _unpaid_principal(session: Session, pledge_id: int) -> int | None:
    """Principal still due after the pledge's final sale (None: no final sale yet)."""
    sold = session.execute(
        select(Disposal.id).where(
            Disposal.pledge_id == pledge_id,
            Disposal.status == DisposalStatus.SOLD.value,
            Disposal.final.is_(True),
        )
    ).first()
    if sold is None:
        return None
    default = session.execute(
        select(PledgeDefault).where(PledgeDefault.pledge_id == pledge_id)
    ).scalar_one_or_none()
    return cents(default.principal_due) if default else None
