"""``ipx worker``: fan out the outbox, deliver what is due, run the fee watch on a schedule.

Several workers may run at once (each claim takes other rows: ``ipx.notify.delivery``). On the
SQLite default ``ipx serve`` starts one beside the server (``serve_worker``), so the README's
run command needs nothing else.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from flask import Flask

from ipx.auth import SYSTEM, Principal, Role
from ipx.china_time import china_date
from ipx.db import begin_write, reading
from ipx.db_ext import database
from ipx.instance_keys import registry_digest_key
from ipx.notify.commands import WatchFees
from ipx.notify.delivery import Claim, Outcome, claim, record, renew, send
from ipx.notify.dispatch import dispatch_batch
from ipx.notify.portfolio import SCHEDULED, RevaluePortfolio, RunScheduledRevaluation, banks_due
from ipx.notify.schedules import schedules_due
from ipx.uow import utcnow

log = logging.getLogger("ipx.notify")


class Worker:
    """One delivery worker over the app's database and settings."""

    def __init__(
        self,
        app: Flask,
        *,
        name: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.app = app
        self.sessions = database(app).sessions
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.clock = clock
        self.rng = rng or random.Random()
        config = app.config
        self.schedule = tuple(config["WEBHOOK_RETRY_SCHEDULE"])
        self.timeout = float(config["WEBHOOK_TIMEOUT_SECONDS"])
        # A request never outlasts its timeout (``send``'s deadline): the lease is longer.
        self.lease = timedelta(seconds=self.timeout + 30)
        # What a request needs of its lease: the request itself, and time to record it.
        self.needed = timedelta(seconds=self.timeout + 10)
        self._last_watch: float | None = None

    def dispatch(self) -> int:
        """Fan out every undispatched outbox event; how many."""
        total = 0
        while True:
            with self.sessions() as session:
                begin_write(session)
                count = dispatch_batch(session, self.clock())
                session.commit()
            total += count
            if not count:
                return total

    def deliver_due(self, limit: int = 20) -> int:
        """Claim, send and record up to ``limit`` due deliveries; how many were attempted."""
        secret = registry_digest_key(self.app.config["DIGEST_KEY_FILE"])
        now = self.clock()
        claims = claim(
            self.sessions, secret, worker=self.name, now=now, lease=self.lease, limit=limit
        )
        allow_loopback = bool(self.app.config["WEBHOOK_ALLOW_LOOPBACK"])
        expires = now + self.lease
        for claimed in claims:
            # The batch's earlier requests took time: once too little of the lease is left for
            # this request, renew it (another worker may have claimed the row since the lease
            # ran out: then skip it). While enough is left, the row is ours: no write.
            if expires - self.clock() < self.needed and not renew(
                self.sessions, claimed, now=self.clock(), lease=self.lease
            ):
                continue
            outcome = self._send(claimed, allow_loopback)
            record(
                self.sessions,
                claimed,
                outcome,
                now=self.clock(),
                schedule=self.schedule,
                jitter=self.rng,
            )
        return len(claims)

    def _send(self, claimed: Claim, allow_loopback: bool) -> Outcome:
        try:
            return send(claimed, timeout=self.timeout, allow_loopback=allow_loopback)
        except Exception as exc:  # noqa: BLE001 - one receiver never stops the batch
            log.exception("webhook delivery %s failed unexpectedly", claimed.delivery_id)
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:300])

    def run_once(self) -> int:
        """One round: fan out, then deliver until nothing is due; attempts made."""
        self.dispatch()
        total = 0
        while made := self.deliver_due():
            total += made
        return total

    def watch(self) -> dict:
        """The fee watch, as the registry itself (``ipx watch``)."""
        with self.app.app_context():
            return self.app.extensions["ipx.usecases"].run(WatchFees(), SYSTEM)

    def revalue_due_banks(self) -> list[int]:
        """The scheduled revaluation, each bank as that bank: those whose own schedule is due
        on the China date of the worker's clock (once a month), and, on the operator's
        default (``REVALUATION_EVERY_DAYS``, 0: off), those without a schedule of their own.
        The banks revalued."""
        now = self.clock()
        every = float(self.app.config["REVALUATION_EVERY_DAYS"])
        with reading(self.sessions) as session:
            own = schedules_due(session, china_date(now))
            default = banks_due(session, now, every) if every > 0 else []
        runner = self.app.extensions["ipx.usecases"]
        revalued = []
        with self.app.app_context():
            for bank in own:
                order = RunScheduledRevaluation(china_date(now))
                if runner.run(order, Principal(SCHEDULED, Role.BANK, bank)) is not None:
                    revalued.append(bank)
            for bank in default:
                runner.run(RevaluePortfolio(), Principal(SCHEDULED, Role.BANK, bank))
                revalued.append(bank)
        return revalued

    def run_forever(self, stop: threading.Event) -> None:
        poll = float(self.app.config["WORKER_POLL_SECONDS"])
        every = float(self.app.config["WATCH_EVERY_SECONDS"])
        while not stop.is_set():
            try:
                if every > 0 and (
                    self._last_watch is None or time.monotonic() - self._last_watch >= every
                ):
                    self._last_watch = time.monotonic()
                    self.watch()
                    self.revalue_due_banks()
                made = self.run_once()
            except Exception:  # noqa: BLE001 - a worker keeps going (the database may return)
                log.exception("notification worker round failed")
                made = 0
            if not made:
                stop.wait(poll)


@contextlib.contextmanager
def serve_worker(enabled: bool) -> Iterator[None]:
    """``ipx serve`` on SQLite: one ``ipx worker`` process beside the server, stopped with it."""
    if not enabled:
        yield
        return
    process = subprocess.Popen([sys.executable, "-m", "ipx.cli", "worker"])
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
