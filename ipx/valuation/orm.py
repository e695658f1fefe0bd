"""Stored valuations: immutable once written (each is also a leaf of the ledger)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ipx.db import Base, Money, UTCDateTime


class Valuation(Base):
    __tablename__ = "valuations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"))
    requested_by: Mapped[str] = mapped_column(String(40))
    party_id: Mapped[int | None] = mapped_column(Integer, index=True)
    model_version: Mapped[str] = mapped_column(String(40))
    feature_schema_hash: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    value_p10: Mapped[Decimal | None] = mapped_column(Money())
    currency: Mapped[str | None] = mapped_column(String(3))
    request: Mapped[dict] = mapped_column(JSON)
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_valuations_asset_id_created_at", "asset_id", "created_at"),
        # A party's own latest valuation of an asset (revaluations, the bank's collateral page).
        Index("ix_valuations_party_asset_created_at", "party_id", "asset_id", "created_at"),
    )
