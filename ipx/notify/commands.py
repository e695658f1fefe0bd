"""The notification use cases' commands: plain values in, as the registry's commands."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CreateSubscription:
    url: str
    events: list[str]
    secret: str | None = None
    party_id: int | None = None  # a clerk names the party; a bank or owner acts for its own


@dataclass(frozen=True)
class DeleteSubscription:
    subscription_id: int


@dataclass(frozen=True)
class TestSubscription:
    subscription_id: int


@dataclass(frozen=True)
class Redeliver:
    subscription_id: int
    delivery_id: int


@dataclass(frozen=True)
class WatchFees:
    """Announce overdue fees and lapse patents past the grace period (``ipx watch``)."""

    asset_ids: list[int] = field(default_factory=list)  # empty: every pledged asset
