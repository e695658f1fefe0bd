"""Tables of disposal on default: defaults, disposals and bids, distributions, price records.

The partial unique index on open disposal assets makes "one open disposal per asset" a database
invariant, as the pledge-asset index does for pledges.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipx.db import Base, Money, UTCDateTime


class PledgeDefault(Base):
    """The pledgee's declaration of default, and the debt still due (updated by partial sales)."""

    __tablename__ = "pledge_defaults"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), unique=True)
    principal: Mapped[Decimal] = mapped_column(Money())
    interest: Mapped[Decimal] = mapped_column(Money())
    penalties: Mapped[Decimal] = mapped_column(Money())
    # What is still due, in the legal order's kinds; costs of failed disposals are carried here.
    costs_due: Mapped[Decimal] = mapped_column(Money())
    interest_penalties_due: Mapped[Decimal] = mapped_column(Money())
    principal_due: Mapped[Decimal] = mapped_column(Money())
    declared_by: Mapped[str] = mapped_column(String(40))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DisposalRequest(Base):
    """The pledgor asking for timely disposal after the debt fell due (Civil Code Art. 437)."""

    __tablename__ = "disposal_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    note: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Disposal(Base):
    __tablename__ = "disposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    reserve_price: Mapped[Decimal] = mapped_column(Money())
    reserve_source: Mapped[str] = mapped_column(String(16))
    costs: Mapped[Decimal] = mapped_column(Money())
    costs_payee_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    currency: Mapped[str] = mapped_column(String(3))
    announcement_days: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    bids_open_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    price: Mapped[Decimal | None] = mapped_column(Money())
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    winning_bid_id: Mapped[int | None] = mapped_column(Integer)
    shortfall: Mapped[Decimal | None] = mapped_column(Money())
    # True when the sale ended the pledge (all assets sold or the debt settled).
    final: Mapped[bool | None] = mapped_column(Boolean)
    withdrawal_reason: Mapped[str | None] = mapped_column(String(32))

    assets: Mapped[list[DisposalAsset]] = relationship(
        cascade="all, delete-orphan", order_by="DisposalAsset.asset_id", lazy="selectin"
    )
    lines: Mapped[list[DistributionLine]] = relationship(
        cascade="all, delete-orphan", order_by="DistributionLine.position", lazy="selectin"
    )

    @property
    def asset_ids(self) -> list[int]:
        return [a.asset_id for a in self.assets]


class DisposalAsset(Base):
    """An asset offered in a disposal; ``open`` until the disposal closes."""

    __tablename__ = "disposal_assets"

    disposal_id: Mapped[int] = mapped_column(ForeignKey("disposals.id"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), primary_key=True)
    open: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        Index(
            "uq_disposal_assets_open_asset",
            "asset_id",
            unique=True,
            sqlite_where=text("open"),
            postgresql_where=text("open"),
        ),
    )


class Bid(Base):
    __tablename__ = "bids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disposal_id: Mapped[int] = mapped_column(ForeignKey("disposals.id"), index=True)
    bidder_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # For the currency: loaded with the bid (a join; the disposal is in the session already).
    disposal: Mapped[Disposal] = relationship(lazy="joined", innerjoin=True)

    @property
    def currency(self) -> str:
        """The disposal's: every amount of a disposal is in its currency."""
        return self.disposal.currency


class DistributionLine(Base):
    """One line of a sale's distribution statement, in the legal order."""

    __tablename__ = "distribution_lines"

    disposal_id: Mapped[int] = mapped_column(ForeignKey("disposals.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    payee_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    amount: Mapped[Decimal] = mapped_column(Money())


class UnsecuredClaim(Base):
    """The debt a final sale did not cover: the pledgee's unsecured claim on the pledgor."""

    __tablename__ = "unsecured_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    disposal_id: Mapped[int] = mapped_column(ForeignKey("disposals.id"), unique=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    debtor_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SaleTransaction(Base):
    """A realized price: the exchange's own market data, for back-testing valuations.

    ``price`` is the price of the whole lot; a lot of several assets is not apportioned (any
    split would be invented), so ``lot_size`` lets a back-test keep single-asset sales only.
    """

    __tablename__ = "sale_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disposal_id: Mapped[int] = mapped_column(ForeignKey("disposals.id"), index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    asset_kind: Mapped[str] = mapped_column(String(16))
    asset_number: Mapped[str] = mapped_column(String(40))
    ipc: Mapped[str | None] = mapped_column(String(40))
    features: Mapped[dict | None] = mapped_column(JSON)
    filing_date: Mapped[date] = mapped_column(Date)
    grant_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date] = mapped_column(Date)
    price: Mapped[Decimal] = mapped_column(Money())
    lot_size: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(16))
    sale_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TransferProceeds(Base):
    """Where a consented transfer's proceeds went (Civil Code Art. 444) and their effect."""

    __tablename__ = "transfer_proceeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), unique=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    destination: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money())
    debt_before: Mapped[Decimal] = mapped_column(Money())
    debt_after: Mapped[Decimal] = mapped_column(Money())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
