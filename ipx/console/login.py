"""Logging in to the console, with a lock-out after repeated failures.

After ``MAX_FAILURES`` failed logins for a username in a row (each within ``LOCKOUT`` of the
one before), every login for that username is refused for ``LOCKOUT``, the right password
included. Failures are counted per username whether or not such a user exists, and an unknown
username costs the same Argon2id check as a known one, so neither the answer nor its timing
tells an attacker which usernames exist or which field was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ipx.console.accounts import (
    ConsoleUser,
    check_password,
    find_user,
    normal_username,
    refresh_hash,
)
from ipx.db import Base, UTCDateTime, begin_write

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


class LoginFailures(Base):
    """Consecutive failed logins of one username (known or not), and its lock if any."""

    __tablename__ = "console_login_failures"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class LoginOutcome:
    """A logged-in user, or a refusal (``locked_until`` set while the username is locked)."""

    user: ConsoleUser | None = None
    locked_until: datetime | None = None


def attempt_login(session: Session, username: str, password: str, now: datetime) -> LoginOutcome:
    """Check a username and password, counting failures; commits what it records."""
    name = normal_username(username)[:64]
    for _ in range(2):  # a second try when another login created the same row meanwhile
        try:
            outcome = _attempt(session, name, password, now)
            session.commit()
            return outcome
        except IntegrityError:
            session.rollback()
    raise RuntimeError("login failures could not be recorded")


def _attempt(session: Session, name: str, password: str, now: datetime) -> LoginOutcome:
    begin_write(session)
    record = session.execute(
        select(LoginFailures).where(LoginFailures.username == name).with_for_update()
    ).scalar_one_or_none()
    if record is not None and record.locked_until is not None and record.locked_until > now:
        return LoginOutcome(locked_until=record.locked_until)
    user = find_user(session, name)
    if check_password(user, password):
        assert user is not None  # no user's password checks out
        if record is not None:
            session.delete(record)
        refresh_hash(user, password)
        return LoginOutcome(user=user)
    return LoginOutcome(locked_until=_count_failure(session, record, name, now))


def _count_failure(
    session: Session, record: LoginFailures | None, name: str, now: datetime
) -> datetime | None:
    """Count one more failure in the username's streak; the end of its lock, if now locked."""
    streak_goes_on = (
        record is not None
        and record.locked_until is None
        and record.last_failed_at >= now - LOCKOUT
    )
    # Streaks long over are cleared as others fail, so guessed usernames do not pile up.
    session.execute(
        delete(LoginFailures).where(
            LoginFailures.last_failed_at < now - LOCKOUT, LoginFailures.username != name
        )
    )
    if record is None:
        record = LoginFailures(username=name)
        session.add(record)
    record.failures = record.failures + 1 if streak_goes_on else 1
    record.last_failed_at = now
    record.locked_until = now + LOCKOUT if record.failures >= MAX_FAILURES else None
    session.flush()
    return record.locked_until
