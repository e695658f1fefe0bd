"""Tables of the registry (SQLAlchemy 2 typed declarative models)."""

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
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipx.db import Base, Money, UTCDateTime


class Party(Base):
    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(300), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    # Individuals' identity numbers are personal: only a keyed digest is kept.
    id_number_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Random per-party key for the HMAC digests that stand for personal data in the ledger.
    digest_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    sample_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Small or medium enterprise (support programmes' eligibility), with where a clerk read it;
    # NULL: never recorded.
    sme: Mapped[bool | None] = mapped_column(Boolean)
    sme_source: Mapped[str | None] = mapped_column(String(300))
    sme_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Asset(Base):
    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(500))
    filing_date: Mapped[date] = mapped_column(Date)
    grant_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    fees_paid_until: Mapped[date | None] = mapped_column(Date)
    ipc: Mapped[str | None] = mapped_column(String(40))
    features: Mapped[dict | None] = mapped_column(JSON)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    invalidation_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    sample_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    holders: Mapped[list[AssetHolder]] = relationship(
        cascade="all, delete-orphan", order_by="AssetHolder.party_id", lazy="selectin"
    )

    __table_args__ = (UniqueConstraint("kind", "number", name="uq_assets_kind_number"),)

    @property
    def holder_ids(self) -> list[int]:
        return [h.party_id for h in self.holders]


class AssetHolder(Base):
    __tablename__ = "asset_holders"

    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), primary_key=True, index=True)


class Freeze(Base):
    __tablename__ = "freezes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    court: Mapped[str] = mapped_column(String(300))
    order_number: Mapped[str] = mapped_column(String(100))
    # ``FreezeKind``: a court's preservation order (the court and its order) or an ownership
    # dispute's suspension (the court or arbitration body and its case number).
    kind: Mapped[str] = mapped_column(
        String(24), default="court_preservation", server_default="court_preservation"
    )
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PledgeApplication(Base):
    __tablename__ = "pledge_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    pledgor_id: Mapped[int] = mapped_column(Integer, index=True)
    pledgee_id: Mapped[int] = mapped_column(Integer, index=True)
    # Incomplete contracts are accepted at filing and refused at examination (R07).
    secured_amount: Mapped[Decimal | None] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    debt_start: Mapped[date | None] = mapped_column(Date)
    debt_end: Mapped[date | None] = mapped_column(Date)
    contract_number: Mapped[str | None] = mapped_column(String(100))
    asset_ids: Mapped[list] = mapped_column(JSON)
    co_owner_consent_ids: Mapped[list] = mapped_column(JSON)
    forfeiture_clause: Mapped[bool] = mapped_column(Boolean)
    acknowledged_risks: Mapped[list] = mapped_column(JSON)
    valuation_id: Mapped[int | None] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    grounds: Mapped[list | None] = mapped_column(JSON)
    pledge_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Pledge(Base):
    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_number: Mapped[str] = mapped_column(String(20), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("pledge_applications.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    pledgor_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    pledgee_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    secured_amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    debt_start: Mapped[date] = mapped_column(Date)
    debt_end: Mapped[date] = mapped_column(Date)
    contract_number: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closing_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    assets: Mapped[list[PledgeAsset]] = relationship(
        cascade="all, delete-orphan", order_by="PledgeAsset.asset_id", lazy="selectin"
    )

    @property
    def asset_ids(self) -> list[int]:
        return [a.asset_id for a in self.assets]


class PledgeAsset(Base):
    """An asset under a pledge. ``active`` while the pledge encumbers it.

    The partial unique index makes "one registered pledge per asset" a database invariant that
    holds under any concurrency, on SQLite and PostgreSQL alike.
    """

    __tablename__ = "pledge_assets"

    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), primary_key=True)
    # Every pledge on an asset, cancelled ones included (the public query by number).
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), primary_key=True, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        Index(
            "uq_pledge_assets_active_asset",
            "asset_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )


class Transfer(Base):
    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    from_party_ids: Mapped[list] = mapped_column(JSON)
    to_party_ids: Mapped[list] = mapped_column(JSON)
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledges.id"))
    pledgee_consent: Mapped[bool] = mapped_column(Boolean)
    proceeds: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


#: A transfer request's status while the pledgee has not answered (the one the index limits).
AWAITING_CONSENT = "awaiting_consent"


class TransferRequest(Base):
    """A transfer or licence of a pledged asset, asked for and awaiting the pledgee's consent.

    The partial unique index makes "one request awaiting consent per asset" a database
    invariant, as ``uq_pledge_assets_active_asset`` does for registered pledges.
    """

    __tablename__ = "transfer_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    from_party_ids: Mapped[list] = mapped_column(JSON)  # the holders when it was asked
    to_party_ids: Mapped[list] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(16))  # the role: owner, clerk (admin)
    requested_by_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(Text)  # why declined or withdrawn
    decided_by: Mapped[str | None] = mapped_column(String(16))
    proceeds: Mapped[str | None] = mapped_column(String(20))
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(
            "uq_transfer_requests_awaiting_asset",
            "asset_id",
            unique=True,
            sqlite_where=text(f"status = '{AWAITING_CONSENT}'"),
            postgresql_where=text(f"status = '{AWAITING_CONSENT}'"),
        ),
    )


class Counter(Base):
    """Named counters (registration numbers per year), incremented under a row lock."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
