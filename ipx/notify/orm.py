"""Tables of notifications: subscriptions, the outbox of events, deliveries and attempts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ipx.db import Base, UTCDateTime


class Subscription(Base):
    """A party's webhook endpoint and the event types it wants.

    The signing secret must be at hand to sign each request (HMAC), so it cannot be hashed: it
    is kept encrypted (AES-GCM under a key derived from the instance secret,
    ``ipx.notify.signing``), never in clear.
    """

    __tablename__ = "notify_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSON)
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary(128))
    status: Mapped[str] = mapped_column(String(16))  # active | failing
    # Events written after this outbox id are the subscription's (none from before it).
    after_event_id: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxEvent(Base):
    """One announced event, written in the transaction that appended it to the ledger.

    ``dispatched_at`` is set once the worker has made a delivery for each subscription that
    may see it; ``dedup_key`` keeps the fee watch from announcing the same due date twice.
    """

    __tablename__ = "notify_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int | None] = mapped_column(BigInteger)  # None: a test event
    type: Mapped[str] = mapped_column(String(50))
    # Never read, no longer written (NULL): dropping the column would take a migration.
    ledger_type: Mapped[str | None] = mapped_column(String(50))
    pledge_id: Mapped[int | None] = mapped_column(Integer)
    application_id: Mapped[int | None] = mapped_column(Integer)
    asset_ids: Mapped[list] = mapped_column(JSON)
    data: Mapped[dict] = mapped_column(JSON)
    dedup_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_notify_events_dispatched_at", "dispatched_at", "id"),)


class Delivery(Base):
    """One event to one subscription: its ``webhook_id`` stays the same over every attempt."""

    __tablename__ = "notify_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("notify_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("notify_events.id"))
    webhook_id: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_notify_deliveries_event"),
        Index("ix_notify_deliveries_due", "status", "next_attempt_at"),
    )


class Attempt(Base):
    """One try of a delivery; (delivery, number) is unique, so no attempt is made twice."""

    __tablename__ = "notify_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("notify_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (UniqueConstraint("delivery_id", "number", name="uq_notify_attempts_number"),)


class RevaluationSchedule(Base):
    """A bank's own monthly revaluation schedule: an operational setting, as a subscription is,
    not a ledger event (the revaluations it runs are logged, each as any other valuation).

    ``last_run_on`` is the China date of the last scheduled run: at most one a month.
    """

    __tablename__ = "notify_revaluation_schedules"

    party_id: Mapped[int] = mapped_column(
        ForeignKey("parties.id"), primary_key=True, autoincrement=False
    )
    day_of_month: Mapped[int] = mapped_column(Integer)  # 1..28: every month has the day
    ltv_threshold: Mapped[str | None] = mapped_column(String(6))  # "0.5000"; None: max_loan
    enabled: Mapped[bool] = mapped_column(Boolean)
    last_run_on: Mapped[date | None] = mapped_column(Date)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
