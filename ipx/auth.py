"""API keys (stored hashed), roles, party binding and the ``require`` decorator.

A key reads ``ipx_<key id>_<secret>``: the key id finds the row, the secret (256 random bits)
is checked against its stored SHA-256 in constant time. A slow password hash is not needed for
secrets of this entropy, and SHA-256 keeps authentication off the request's critical path.

A key may carry an expiry (``expires_at``); a revoked or expired key answers 401 like an unknown
one, with a detail saying which (only to a caller who presented the right secret).

Each worker process remembers a successful lookup for ``AUTH_CACHE_SECONDS`` (default 0.5; 0
turns it off; values above ``MAX_AUTH_CACHE_SECONDS``, one second, are cut to it), keyed by the
SHA-256 of the whole presented key, so a busy client does not cost a database round trip per
request. Only valid keys are remembered (an unknown or wrong key always reaches the database),
and never past the key's expiry. So a revocation (``ipx keys revoke``, a row update every
process reads) takes effect in every worker of every server within one second, without any
message between processes.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, g, request
from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ipx.db import Base, UTCDateTime, reading
from ipx.errors import Forbidden, Unauthorized


class Role(enum.StrEnum):
    CLERK = "clerk"
    BANK = "bank"
    OWNER = "owner"
    AUDITOR = "auditor"
    ADMIN = "admin"


PARTY_BOUND_ROLES = {Role.BANK, Role.OWNER}


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def refusal(self, now: datetime) -> str | None:
        """Why this key no longer works at ``now`` (revoked, expired), or None while it does."""
        if self.revoked_at is not None:
            return "The API key has been revoked."
        if self.expires_at is not None and self.expires_at <= now:
            return "The API key has expired."
        return None


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, role and (for banks and owners) the party it is bound to."""

    key_id: str
    role: Role
    party_id: int | None

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"

    def sees_all(self) -> bool:
        return self.role not in PARTY_BOUND_ROLES


#: The registry acting on its own (loading samples, maintenance): no party, sees everything.
SYSTEM = Principal(key_id="system", role=Role.ADMIN, party_id=None)


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def checked_binding(role: str, party_id: int | None, what: str) -> Role:
    """The role, if the party binding fits it: banks and owners act for one party, the other
    roles for none. The one rule for API keys and console users alike."""
    checked = Role(role)
    if checked in PARTY_BOUND_ROLES and party_id is None:
        raise ValueError(f"a {checked} {what} must be bound to a party (--party)")
    if checked not in PARTY_BOUND_ROLES and party_id is not None:
        raise ValueError(f"a {checked} {what} is not bound to a party")
    return checked


def create_key(
    session: Session,
    *,
    role: str,
    party_id: int | None,
    name: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> str:
    """Create a key and return it in clear: the only time it is ever shown."""
    role = checked_binding(role, party_id, "key")
    if expires_at is not None and expires_at <= now:
        raise ValueError("a key's expiry must lie in the future")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            key_id=key_id,
            secret_hash=_hash_secret(secret),
            role=role.value,
            party_id=party_id,
            name=name,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return f"ipx_{key_id}_{secret}"


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first (the rows carry no secret, only its hash: never show that)."""
    return list(session.execute(select(ApiKey).order_by(ApiKey.id)).scalars())


def revoke_key(session: Session, key_id: str, now: datetime) -> ApiKey:
    """Revoke the key (caller commits); ``LookupError`` for an unknown or already revoked one."""
    row = session.execute(
        select(ApiKey).where(ApiKey.key_id == key_id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise LookupError(f"no API key with id {key_id!r}")
    if row.revoked_at is not None:
        when = f"{row.revoked_at:%Y-%m-%dT%H:%M:%SZ}"
        raise LookupError(f"the key {key_id} was already revoked at {when}")
    row.revoked_at = now
    return row


@dataclass(frozen=True)
class KeyCheck:
    """The outcome of one lookup: the principal, or why the key is refused."""

    principal: Principal | None
    refusal: str = "The API key is not valid."
    expires_at: datetime | None = None


def check_key(session: Session, presented: str, now: datetime) -> KeyCheck:
    """Look the presented key up: its principal, or why it is refused."""
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != "ipx" or not key_id or not secret:
        return KeyCheck(None)
    row = session.execute(select(ApiKey).where(ApiKey.key_id == key_id)).scalar_one_or_none()
    # Compare even when the row is missing, so timing does not reveal which key ids exist.
    expected = row.secret_hash if row else _hash_secret("")
    if not hmac.compare_digest(expected, _hash_secret(secret)) or row is None:
        return KeyCheck(None)
    # Only the key's holder (the secret matched) learns that it was revoked or has expired.
    refusal = row.refusal(now)
    if refusal is not None:
        return KeyCheck(None, refusal)
    principal = Principal(key_id=row.key_id, role=Role(row.role), party_id=row.party_id)
    return KeyCheck(principal, expires_at=row.expires_at)


def authenticate(session: Session, presented: str, now: datetime | None = None) -> Principal | None:
    """Return the principal for a presented key, or None (unknown, wrong, revoked, expired)."""
    return check_key(session, presented, now or _utcnow()).principal


def _utcnow() -> datetime:
    return datetime.now(UTC)


def current_principal() -> Principal | None:
    """The caller, authenticated once per request (None when no key was presented)."""
    if "principal" not in g:
        g.principal = _principal_from_request()
    return g.principal


def _principal_from_request() -> Principal | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use 'Authorization: Bearer <key>'.")
    checked = _cached_check(token.strip())
    if checked.principal is None:
        raise Unauthorized(checked.refusal)
    return checked.principal


AUTH_CACHE_SECONDS = 0.5
#: The longest any process trusts a remembered lookup: the bound on how late a revocation bites.
MAX_AUTH_CACHE_SECONDS = 1.0
AUTH_CACHE_MAX = 4096


def auth_cache_seconds(configured: float | str) -> float:
    """The cache's time to live: as configured, but never above ``MAX_AUTH_CACHE_SECONDS``."""
    return min(max(float(configured), 0.0), MAX_AUTH_CACHE_SECONDS)


def _cached_check(token: str) -> KeyCheck:
    """``check_key``, remembering valid keys for under a second (see the module docstring)."""
    from ipx.db_ext import database

    ttl = auth_cache_seconds(current_app.config.get("AUTH_CACHE_SECONDS", AUTH_CACHE_SECONDS))
    cache: dict[str, tuple[float, KeyCheck]] = current_app.extensions.setdefault(
        "ipx.auth_cache", {}
    )
    fingerprint, now = _hash_secret(token), time.monotonic()
    hit = cache.get(fingerprint)
    if hit is not None and hit[0] > now:
        return hit[1]
    wall = _utcnow()
    with reading(database().sessions) as session:
        checked = check_key(session, token, wall)
    if checked.principal is not None and ttl > 0:
        until = now + ttl
        if checked.expires_at is not None:  # never remembered past the key's expiry
            until = min(until, now + (checked.expires_at - wall).total_seconds())
        if len(cache) >= AUTH_CACHE_MAX:  # bounded: forget everything rather than grow
            cache.clear()
        cache[fingerprint] = (until, checked)
    return checked


def may(principal: Principal | None, roles: frozenset[Role] | set[Role]) -> bool:
    """The one role rule: a principal among ``roles``, or an admin (who may do everything).
    For pages that show or hide what a role may do; ``authorize`` enforces it."""
    return principal is not None and (principal.role in roles or principal.role is Role.ADMIN)


def authorize(principal: Principal | None, roles: frozenset[Role] | set[Role]) -> Principal:
    """Deny by default: 401 without a principal, 403 for a role not among ``roles`` (admins
    may do everything). The one role check of the API's routes and of the use-case runner."""
    if principal is None:
        raise Unauthorized()
    if not may(principal, roles):
        raise Forbidden(f"Role '{principal.role}' may not make this call.")
    return principal


def require(*roles: Role | str):
    """Route decorator: deny by default; 401 without a valid key, 403 for other roles."""
    allowed = {Role(r) for r in roles}

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            authorize(current_principal(), allowed)
            return view(*args, **kwargs)

        # Read by the OpenAPI document (security, 401/403) and the URL-map guard test (mypy
        # does not model attributes set on a function).
        wrapper.required_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return wrapper

    return decorator
