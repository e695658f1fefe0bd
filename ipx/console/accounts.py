"""Console users: accounts with a role and (for banks and owners) a party, Argon2id passwords.

A console user can do exactly what an API key of the same role and party can: once logged in it
acts as the same ``Principal``, under its own actor (``user:<id>``) in the ledger.
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ipx.auth import Principal, Role, checked_binding
from ipx.config import argon2_memory_kib
from ipx.db import Base, UTCDateTime

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
MIN_PASSWORD, MAX_PASSWORD = 10, 1024


class ConsoleUser(Base):
    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Raised by logout and disable: session cookies carry the epoch they were issued in, so a
    # copied cookie stops working once its user logged out.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class ConsolePrincipal(Principal):
    """A logged-in console user: the role and party of an API key, its own ledger actor.

    ``key_id`` holds the user's id, so everything keyed by a principal (actors, idempotency
    claims) tells users and keys apart.
    """

    @property
    def actor(self) -> str:
        return f"user:{self.key_id}"


def principal_of(user: ConsoleUser) -> ConsolePrincipal:
    return ConsolePrincipal(key_id=str(user.id), role=Role(user.role), party_id=user.party_id)


@functools.cache
def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults are RFC 9106's second recommended profile (Argon2id, 64 MiB);
    # the memory can be set lower only for tests (IPX_ARGON2_MEMORY_KIB).
    return PasswordHasher(memory_cost=argon2_memory_kib())


@functools.cache
def _decoy_hash() -> str:
    """A hash of nothing anyone knows: checked for unknown users so they take as long."""
    return _hasher().hash(secrets.token_urlsafe(32))


def hash_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValueError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return _hasher().hash(password)


def check_password(user: ConsoleUser | None, password: str) -> bool:
    """True when ``password`` is the user's; always does the work of one Argon2id check."""
    try:
        _hasher().verify(user.password_hash if user else _decoy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None


def refresh_hash(user: ConsoleUser, password: str) -> None:
    """Re-hash a just-verified password whose hash has older Argon2id parameters."""
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)


def normal_username(username: str) -> str:
    return username.strip().lower()


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    party_id: int | None,
    now: datetime,
) -> ConsoleUser:
    """Add a console user; the role and party rules are those of API keys."""
    role = checked_binding(role, party_id, "user")
    username = normal_username(username)
    if not USERNAME.match(username):
        raise ValueError("a username has 2 to 64 of a-z, 0-9 and . _ @ -, starting alphanumeric")
    if find_user(session, username, active_only=False) is not None:
        raise ValueError(f"the username {username!r} is taken")
    user = ConsoleUser(
        username=username,
        password_hash=hash_password(password),
        role=role.value,
        party_id=party_id,
        created_at=now,
        session_epoch=0,
    )
    session.add(user)
    return user


def find_user(session: Session, username: str, *, active_only: bool = True) -> ConsoleUser | None:
    stmt = select(ConsoleUser).where(ConsoleUser.username == normal_username(username))
    if active_only:
        stmt = stmt.where(ConsoleUser.disabled_at.is_(None))
    return session.execute(stmt).scalar_one_or_none()


def list_users(session: Session) -> list[ConsoleUser]:
    return list(session.execute(select(ConsoleUser).order_by(ConsoleUser.id)).scalars())


def disable_user(session: Session, username: str, now: datetime) -> bool:
    """Disable a user and end its sessions; False when no active user has that name."""
    user = find_user(session, username)
    if user is None:
        return False
    user.disabled_at = now
    user.session_epoch += 1
    return True
