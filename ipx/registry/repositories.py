"""The registry's repositories over SQLAlchemy: the ports (``ipx.registry.ports``) as SQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import literal, select, union_all, update
from sqlalchemy.orm import Session

from ipx.registry.disposal.orm import TransferProceeds
from ipx.registry.disposal.repositories import SqlDefaults, SqlDisposals
from ipx.registry.model import ENCUMBERING, ApplicationFacts
from ipx.registry.orm import (
    AWAITING_CONSENT,
    Asset,
    AssetHolder,
    Counter,
    Freeze,
    Party,
    Pledge,
    PledgeApplication,
    PledgeAsset,
    Transfer,
    TransferRequest,
)
from ipx.registry.ports import CitedValuation, Repositories, facts_of
from ipx.registry.sql import add_now, add_or_duplicate, get_by_id
from ipx.uow import UnitOfWork
from ipx.valuation.orm import Valuation


def repositories(uow: UnitOfWork) -> Repositories:
    """The registry's repositories in this unit of work: SQL ones over its session, unless
    the unit of work was given others (a test's fakes)."""
    found = uow.extensions.get("registry")
    if found is None:
        found = uow.extensions["registry"] = SqlRepositories(uow.session)
    return found


class SqlRepositories:
    def __init__(self, session: Session) -> None:
        self.parties = SqlParties(session)
        self.assets = SqlAssets(session)
        self.freezes = SqlFreezes(session)
        self.applications = SqlApplications(session)
        self.pledges = SqlPledges(session)
        self.transfers = SqlTransfers(session)
        self.transfer_requests = SqlTransferRequests(session)
        self.defaults = SqlDefaults(session)
        self.disposals = SqlDisposals(session)


class SqlParties:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, party_id: int) -> Party | None:
        return self.session.get(Party, party_id)

    def known(self, party_ids: Iterable[int]) -> set[int]:
        ids = list(party_ids)
        return set(self.session.execute(select(Party.id).where(Party.id.in_(ids))).scalars())

    def with_credit_code(self, credit_code: str) -> bool:
        stmt = select(Party.id).where(Party.credit_code == credit_code)
        return self.session.execute(stmt).first() is not None

    def with_id_number_digest(self, digest: str) -> bool:
        stmt = select(Party.id).where(Party.id_number_digest == digest)
        return self.session.execute(stmt).first() is not None

    def add(self, party: Party) -> None:
        add_or_duplicate(self.session, party)


class SqlAssets:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, asset_id: int, *, lock: bool = False) -> Asset | None:
        return get_by_id(self.session, Asset, asset_id, lock)

    def exists(self, kind: str, number: str) -> bool:
        stmt = select(Asset.id).where(Asset.kind == kind, Asset.number == number)
        return self.session.execute(stmt).first() is not None

    def known(self, asset_ids: Iterable[int]) -> set[int]:
        ids = list(asset_ids)
        return set(self.session.execute(select(Asset.id).where(Asset.id.in_(ids))).scalars())

    def locked(self, asset_ids: Iterable[int]) -> list[Asset]:
        stmt = select(Asset).where(Asset.id.in_(list(asset_ids))).order_by(Asset.id)
        return list(self.session.execute(stmt.with_for_update()).scalars())

    def expiry_dates(self, asset_ids: Iterable[int]) -> dict[int, date]:
        stmt = select(Asset.id, Asset.expiry_date).where(Asset.id.in_(list(asset_ids)))
        return {asset_id: expiry for asset_id, expiry in self.session.execute(stmt)}

    def add(self, asset: Asset) -> None:
        add_or_duplicate(self.session, asset)


class SqlFreezes:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, freeze_id: int, *, lock: bool = False) -> Freeze | None:
        return get_by_id(self.session, Freeze, freeze_id, lock)

    def any_active(self, asset_id: int) -> bool:
        self.session.flush()
        stmt = select(Freeze.id).where(Freeze.asset_id == asset_id, Freeze.status == "active")
        return self.session.execute(stmt).first() is not None

    def add(self, freeze: Freeze) -> None:
        add_now(self.session, freeze)


class SqlApplications:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, application_id: int, *, lock: bool = False) -> PledgeApplication | None:
        return get_by_id(self.session, PledgeApplication, application_id, lock)

    def add(self, application: PledgeApplication) -> None:
        add_now(self.session, application)

    def cited_valuation(self, valuation_id: int) -> CitedValuation | None:
        row = self.session.get(Valuation, valuation_id)
        return None if row is None else CitedValuation(row.id, row.party_id, row.asset_id)


class SqlPledges:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, pledge_id: int, *, lock: bool = False) -> Pledge | None:
        return get_by_id(self.session, Pledge, pledge_id, lock)

    def add(self, pledge: Pledge) -> Pledge:
        add_or_duplicate(self.session, pledge)
        return pledge

    def encumbering(self, asset_id: int) -> Pledge | None:
        return self.session.execute(
            select(Pledge)
            .join(PledgeAsset, PledgeAsset.pledge_id == Pledge.id)
            .where(
                PledgeAsset.asset_id == asset_id,
                PledgeAsset.active,
                Pledge.status.in_([s.value for s in ENCUMBERING]),
            )
        ).scalar_one_or_none()

    def relock(self, pledge: Pledge) -> None:
        stmt = select(Pledge.id).where(Pledge.id == pledge.id).with_for_update()
        self.session.execute(stmt)
        self.session.refresh(pledge)  # the row as it is now that the lock is held

    def next_registration_number(self, year: int) -> str:
        """The next number of the registration's year.

        Called only under the log's head lock, so no two transactions reach the counter at
        once and creating a year's row cannot collide.
        """
        name = f"pledge-number-{year}"
        value = self.session.execute(
            update(Counter)
            .where(Counter.name == name)
            .values(value=Counter.value + 1)
            .returning(Counter.value)
        ).scalar_one_or_none()
        if value is None:
            self.session.add(Counter(name=name, value=1))
            value = 1
        return f"IPX-P-{year}-{value:06d}"

    def examination_facts(
        self, application: PledgeApplication, *, lock: bool = True
    ) -> ApplicationFacts:
        """What examination needs, in two statements: the assets (locked in id order, unless
        ``lock`` is false for a read that decides nothing), then their holders, their
        registered pledges and which of the two parties exist, as one union."""
        session = self.session
        ids = sorted(application.asset_ids)
        parties = [application.pledgor_id, application.pledgee_id]
        assets_query = (
            select(
                Asset.id,
                Asset.kind,
                Asset.status,
                Asset.expiry_date,
                Asset.fees_paid_until,
                Asset.frozen,
                Asset.invalidation_pending,
            )
            .where(Asset.id.in_(ids))
            .order_by(Asset.id)
        )
        if lock:
            assets_query = assets_query.with_for_update()
        assets = session.execute(assets_query).all()
        holders: dict[int, set[int]] = {}
        pledged: dict[int, set[int]] = {}
        known: set[int] = set()
        found = {"holder": holders, "pledge": pledged}
        for what, key, value in session.execute(_related_facts(ids, parties)):
            if what == "party":
                known.add(value)
            else:
                found[what].setdefault(key, set()).add(value)
        return facts_of(application, assets, holders, pledged, known)


class SqlTransfers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, transfer: Transfer) -> None:
        add_now(self.session, transfer)

    def add_proceeds(self, proceeds: TransferProceeds) -> None:
        add_now(self.session, proceeds)


class SqlTransferRequests:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, request_id: int, *, lock: bool = False) -> TransferRequest | None:
        """With ``lock``, the row as it is once the lock is held (even if read before)."""
        stmt = select(TransferRequest).where(TransferRequest.id == request_id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.execute(stmt).scalar_one_or_none()

    def awaiting(self, asset_id: int) -> TransferRequest | None:
        stmt = select(TransferRequest).where(
            TransferRequest.asset_id == asset_id, TransferRequest.status == AWAITING_CONSENT
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def add(self, request: TransferRequest) -> None:
        add_or_duplicate(self.session, request)


def _related_facts(asset_ids: list[int], party_ids: list[int]):
    """``(what, key, value)`` rows: ("holder", asset, party), ("pledge", asset, pledge) for the
    encumbering pledges on the assets, ("party", party, party) for the parties that exist."""
    holders = select(
        literal("holder").label("what"), AssetHolder.asset_id, AssetHolder.party_id
    ).where(AssetHolder.asset_id.in_(asset_ids))
    pledges = (
        select(literal("pledge"), PledgeAsset.asset_id, PledgeAsset.pledge_id)
        .join(Pledge, Pledge.id == PledgeAsset.pledge_id)
        .where(
            PledgeAsset.asset_id.in_(asset_ids),
            PledgeAsset.active,
            Pledge.status.in_([s.value for s in ENCUMBERING]),
        )
    )
    parties = select(literal("party"), Party.id, Party.id).where(Party.id.in_(party_ids))
    return union_all(holders, pledges, parties)
