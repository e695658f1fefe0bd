"""Disposal's repositories over SQLAlchemy: defaults and disposals (``ipx.registry.ports``)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipx.registry.disposal.orm import (
    Bid,
    Disposal,
    DisposalAsset,
    DisposalRequest,
    PledgeDefault,
    SaleTransaction,
    UnsecuredClaim,
)
from ipx.registry.sql import add_now, add_or_duplicate, get_by_id
from ipx.valuation.services import latest_value_lower_bound


class SqlDefaults:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of_pledge(self, pledge_id: int, *, lock: bool = False) -> PledgeDefault | None:
        stmt = select(PledgeDefault).where(PledgeDefault.pledge_id == pledge_id)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.execute(stmt).scalar_one_or_none()

    def add(self, default: PledgeDefault) -> None:
        add_now(self.session, default)

    def add_request(self, request: DisposalRequest) -> None:
        add_now(self.session, request)


class SqlDisposals:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, disposal_id: int, *, lock: bool = False) -> Disposal | None:
        return get_by_id(self.session, Disposal, disposal_id, lock)

    def pledge_id_of(self, disposal_id: int) -> int | None:
        stmt = select(Disposal.pledge_id).where(Disposal.id == disposal_id)
        return self.session.execute(stmt).scalar_one_or_none()

    def on_offer(self, asset_ids: Iterable[int]) -> list[int]:
        stmt = select(DisposalAsset.asset_id).where(
            DisposalAsset.asset_id.in_(list(asset_ids)), DisposalAsset.open
        )
        return list(self.session.execute(stmt).scalars())

    def add(self, disposal: Disposal) -> None:
        # The partial unique index on open disposal assets refuses a second open disposal of
        # an asset that the locks did not see coming.
        add_or_duplicate(self.session, disposal)

    def valuation_lower_bound(self, asset_ids: list[int]) -> Decimal | None:
        # The seam to the valuation service, which owns the valuations' table.
        return latest_value_lower_bound(self.session, asset_ids)

    def bids(
        self, disposal_id: int, *, after: int | None = None, limit: int | None = None
    ) -> list[Bid]:
        stmt = select(Bid).where(Bid.disposal_id == disposal_id).order_by(Bid.id)
        if after is not None:
            stmt = stmt.where(Bid.id > after)
        return list(self.session.execute(stmt.limit(limit)).scalars())

    def best_bid(self, disposal_id: int) -> Decimal | None:
        stmt = select(func.max(Bid.amount)).where(Bid.disposal_id == disposal_id)
        return self.session.execute(stmt).scalar_one_or_none()

    def add_bid(self, bid: Bid) -> None:
        add_now(self.session, bid)

    def add_claim(self, claim: UnsecuredClaim) -> None:
        add_now(self.session, claim)

    def add_sale(self, sale: SaleTransaction) -> None:
        add_now(self.session, sale)
