"""The notification use cases and who may run them (admins may run every use case)."""

from __future__ import annotations

from collections.abc import Callable

from ipx.auth import Role
from ipx.notify import commands as c
from ipx.notify import subscriptions, watch
from ipx.usecases import UseCase, use_case

SUBSCRIBERS = (Role.BANK, Role.OWNER, Role.CLERK)


def handlers(allow_loopback: Callable[[], bool]) -> dict[type, UseCase]:
    return {
        c.CreateSubscription: use_case(subscriptions.creating(allow_loopback), *SUBSCRIBERS),
        c.DeleteSubscription: use_case(subscriptions.delete_subscription, *SUBSCRIBERS),
        c.TestSubscription: use_case(subscriptions.test_subscription, *SUBSCRIBERS),
        c.Redeliver: use_case(subscriptions.redeliver, *SUBSCRIBERS),
        c.WatchFees: use_case(watch.watch_fees, Role.CLERK),
    }
