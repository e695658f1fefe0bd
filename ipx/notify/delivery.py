"""Delivering: claim due deliveries, send each as a Standard Webhooks request, record it.

A claim is one short transaction: the due rows are locked (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so concurrent workers take different rows; SQLite's write lock serialises the
claims), each gets a lease, a claim token and its next attempt number, and the attempt is
logged (unique per delivery and number). The request is sent after that commit, outside any
transaction; its outcome is recorded only while the claim token still matches. A worker that
dies mid-request leaves a lease that runs out: the delivery is sent once more, at most, with
the same ``webhook-id`` (at-least-once: receivers deduplicate on it). Just before each request
the worker renews its lease (``renew``), so a lease that ran out while the batch was being sent
is noticed and the row left to whoever claimed it since.

A request goes with ``http.client`` to the address the URL check resolved and vetted (no second
lookup, no proxy from the environment, no redirects); the Host header and the TLS certificate
check use the host name. Connecting, sending and the whole answer share one deadline (the
timeout), kept below the lease.
"""

from __future__ import annotations

import http.client
import io
import json
import random
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ipx.db import begin_write
from ipx.errors import IpxError
from ipx.notify.orm import Attempt, Delivery, OutboxEvent, Subscription
from ipx.notify.signing import sign, unseal
from ipx.notify.subscriptions import ACTIVE, DELIVERED, FAILED, FAILING, PENDING
from ipx.notify.urls import Target, vet
from ipx.web.fields import utc_text

USER_AGENT = "ipx-webhooks/1"
UNREADABLE_SECRET = (
    "The subscription's secret cannot be unsealed with this instance's key; nothing was sent."
)


@dataclass(frozen=True)
class Claim:
    """One attempt a worker holds: what to send, and the token to record its outcome."""

    delivery_id: int
    subscription_id: int
    token: str
    attempt: int
    webhook_id: str
    url: str
    secret: str = field(repr=False)
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def body_of(event: OutboxEvent) -> bytes:
    """The request body: ``{type, timestamp, data: {seq, pledge_id?, asset_id?, ...}}``."""
    data: dict = {"seq": event.seq}
    if event.pledge_id is not None:
        data["pledge_id"] = event.pledge_id
    if event.application_id is not None:
        data["application_id"] = event.application_id
    if event.asset_ids:
        data["asset_ids"] = list(event.asset_ids)
        if len(event.asset_ids) == 1:
            data["asset_id"] = event.asset_ids[0]
    data.update(event.data)
    document = {"type": event.type, "timestamp": utc_text(event.created_at), "data": data}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def claim(
    sessions: sessionmaker[Session],
    instance_secret: bytes,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int = 20,
) -> list[Claim]:
    """Claim up to ``limit`` due deliveries, in one committed transaction."""
    with sessions() as session:
        begin_write(session)
        stmt = (
            select(Delivery, Subscription, OutboxEvent)
            .join(Subscription, Subscription.id == Delivery.subscription_id)
            .join(OutboxEvent, OutboxEvent.id == Delivery.event_id)
            .where(
                Delivery.status == PENDING,
                Delivery.next_attempt_at <= now,
                (Delivery.claimed_until.is_(None)) | (Delivery.claimed_until < now),
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=Delivery)
        claims = []
        for delivery, subscription, event in session.execute(stmt).all():
            try:
                secret = unseal(subscription.secret_sealed, instance_secret, subscription.id)
            except Exception:  # noqa: BLE001 - InvalidTag, or not text: this row only
                delivery.status, delivery.claim_token, delivery.claimed_until = FAILED, None, None
                delivery.last_status_code, delivery.last_error = None, UNREADABLE_SECRET
                _mark_subscription(session, subscription.id, FAILED, now)
                continue
            delivery.attempts += 1
            delivery.claim_token = secrets.token_hex(16)
            delivery.claimed_until = now + lease
            session.add(
                Attempt(
                    delivery_id=delivery.id, number=delivery.attempts, worker=worker, started_at=now
                )
            )
            claims.append(
                Claim(
                    delivery_id=delivery.id,
                    subscription_id=subscription.id,
                    token=delivery.claim_token,
                    attempt=delivery.attempts,
                    webhook_id=delivery.webhook_id,
                    url=subscription.url,
                    secret=secret,
                    body=body_of(event),
                )
            )
        session.commit()
    return claims


def renew(sessions: sessionmaker[Session], claimed: Claim, *, now: datetime, lease: timedelta):
    """Extend the claim's lease from ``now``; False if the delivery is no longer ours (the
    lease ran out and another worker claimed it, or it was redelivered or deleted)."""
    with sessions() as session:
        begin_write(session)
        done = session.execute(
            update(Delivery)
            .where(Delivery.id == claimed.delivery_id, Delivery.claim_token == claimed.token)
            .values(claimed_until=now + lease)
        )
        session.commit()
    return bool(done.rowcount)  # type: ignore[attr-defined]


def send(claimed: Claim, *, timeout: float, allow_loopback: bool) -> Outcome:
    """POST the claimed delivery, signed; its HTTP status or why there was none.

    ``timeout`` bounds the whole request (connect, send, the answer's head), not each read.
    """
    deadline = time.monotonic() + timeout
    try:
        target = vet(claimed.url, allow_loopback=allow_loopback)
    except IpxError as exc:
        return Outcome(None, exc.detail[:300])
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": claimed.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(claimed.secret, claimed.webhook_id, timestamp, claimed.body),
    }
    try:
        return Outcome(_post(target, claimed.body, headers, deadline), None)
    except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, timed out, not HTTP
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:300])


def _post(target: Target, body: bytes, headers: dict[str, str], deadline: float) -> int:
    """The answer's status; 3xx is not followed (it could lead to an address not checked)."""
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target, deadline)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out: the receiver took longer than the webhook timeout")
    return left


def _connect(target: Target, deadline: float) -> socket.socket:
    """A socket to the first checked address that accepts (never a fresh lookup)."""
    error: OSError = OSError(f"no address to connect to for {target.host}")
    for address in target.addresses:
        try:
            return socket.create_connection((str(address), target.port), _remaining(deadline))
        except TimeoutError:
            raise
        except OSError as exc:
            error = exc
    raise error


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, deadline: float) -> None:
        super().__init__(target.host, target.port)
        self._target, self._deadline = target, deadline

    def connect(self) -> None:
        self.sock = _DeadlineSocket(_connect(self._target, self._deadline), self._deadline)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, deadline: float) -> None:
        super().__init__(target.host, target.port)
        self._target, self._deadline = target, deadline

    def connect(self) -> None:
        raw = _connect(self._target, self._deadline)
        try:
            raw.settimeout(_remaining(self._deadline))
            tls = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]
        except BaseException:
            raw.close()
            raise
        self.sock = _DeadlineSocket(tls, self._deadline)


class _DeadlineSocket:
    """A connected socket whose every send and read gets only the time left to the deadline
    (a receiver trickling bytes cannot hold the worker past it)."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def arm(self) -> socket.socket:
        self._sock.settimeout(_remaining(self._deadline))
        return self._sock

    def sendall(self, data) -> None:
        self.arm().sendall(data)

    def makefile(self, mode: str = "rb", *args, **kwargs) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self))

    def close(self) -> None:
        self._sock.close()

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class _DeadlineReader(io.RawIOBase):
    def __init__(self, owner: _DeadlineSocket) -> None:
        self._owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._owner.arm().recv_into(buffer)


def record(
    sessions: sessionmaker[Session],
    claimed: Claim,
    outcome: Outcome,
    *,
    now: datetime,
    schedule: Sequence[float],
    jitter: random.Random | None = None,
) -> str | None:
    """Record the attempt's outcome; the delivery's new status (None: no longer ours)."""
    with sessions() as session:
        begin_write(session)
        session.execute(
            update(Attempt)
            .where(Attempt.delivery_id == claimed.delivery_id, Attempt.number == claimed.attempt)
            .values(finished_at=now, status_code=outcome.status_code, error=outcome.error)
        )
        status, values = _next_state(claimed.attempt, outcome, now, schedule, jitter)
        done = session.execute(
            update(Delivery)
            .where(Delivery.id == claimed.delivery_id, Delivery.claim_token == claimed.token)
            .values(**values, claim_token=None, claimed_until=None)
        )
        if done.rowcount:  # type: ignore[attr-defined]
            _mark_subscription(session, claimed.subscription_id, status, now)
        session.commit()
    return status if done.rowcount else None  # type: ignore[attr-defined]


def _next_state(
    attempt: int,
    outcome: Outcome,
    now: datetime,
    schedule: Sequence[float],
    jitter: random.Random | None,
) -> tuple[str, dict]:
    common = {"last_status_code": outcome.status_code, "last_error": outcome.error}
    if outcome.delivered:
        return DELIVERED, {**common, "status": DELIVERED, "delivered_at": now}
    if attempt > len(schedule):
        return FAILED, {**common, "status": FAILED}
    delay = retry_delay(schedule[attempt - 1], jitter or random.Random())
    return PENDING, {**common, "status": PENDING, "next_attempt_at": now + delay}


def retry_delay(seconds: float, rng: random.Random) -> timedelta:
    """The scheduled pause, plus up to a fifth more at random (so retries do not bunch)."""
    return timedelta(seconds=seconds * (1 + 0.2 * rng.random()))


def _mark_subscription(session: Session, subscription_id: int, status: str, now: datetime):
    if status == DELIVERED:
        session.execute(
            update(Subscription)
            .where(Subscription.id == subscription_id, Subscription.status != ACTIVE)
            .values(status=ACTIVE, failing_since=None)
        )
    elif status == FAILED:
        session.execute(
            update(Subscription)
            .where(Subscription.id == subscription_id, Subscription.status == ACTIVE)
            .values(status=FAILING, failing_since=now)
        )
