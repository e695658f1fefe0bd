"""Tables of the support programmes: programme versions, applications, and the claims guard."""

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
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ipx.db import Base, Money, UTCDateTime


class SupportProgramme(Base):
    """One version of a programme. Versions of a programme share ``series_id`` (the first
    version's id); only the newest (``superseded`` false) takes applications. The budget's
    counters (``reserved``, ``paid``) are the series': a new version carries them over, and
    approvals change them only under a lock of the newest version's row."""

    __tablename__ = "support_programmes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(24))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    rate_bp: Mapped[int | None] = mapped_column(Integer)
    share: Mapped[Decimal | None] = mapped_column(Money())  # percent, two places
    cap_per_loan: Mapped[Decimal] = mapped_column(Money())
    cap_per_firm_year: Mapped[Decimal] = mapped_column(Money())
    budget: Mapped[Decimal] = mapped_column(Money())
    reserved: Mapped[Decimal] = mapped_column(Money())
    paid: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    sme_only: Mapped[bool] = mapped_column(Boolean)
    first_loan_only: Mapped[bool] = mapped_column(Boolean)
    asset_kinds: Mapped[list] = mapped_column(JSON)
    applications_open: Mapped[date | None] = mapped_column(Date)
    applications_close: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("series_id", "version", name="uq_support_programmes_series_version"),
    )


class SupportApplication(Base):
    __tablename__ = "support_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("support_programmes.id"), index=True)
    series_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    pledge_ids: Mapped[list] = mapped_column(JSON)
    claim: Mapped[dict] = mapped_column(JSON)
    document_digests: Mapped[list] = mapped_column(JSON)
    computed_amount: Mapped[Decimal] = mapped_column(Money())
    working: Mapped[list] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3))
    approved_amount: Mapped[Decimal | None] = mapped_column(Money())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    refusal_reasons: Mapped[list | None] = mapped_column(JSON)
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    submitted_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupportClaim(Base):
    """A loan claimed in a programme. The partial unique index lets a loan be claimed once per
    programme (its series, whatever the version) while the claim is live (not refused): a
    database invariant, so two applications arriving at once cannot both hold it."""

    __tablename__ = "support_claims"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("support_applications.id"), primary_key=True
    )
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), primary_key=True)
    series_id: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        Index(
            "uq_support_claims_active_pledge",
            "series_id",
            "pledge_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )
