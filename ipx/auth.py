"""API keys (stored hashed), roles, party binding and the ``require`` decorator.

A key reads ``ipx_<key id>_<secret>``: the key id finds the row, the secret (256 random bits)
is checked against its stored SHA-256 in constant time. A slow password hash is not needed for
secrets of this entropy, and SHA-256 keeps authentication off the request's critical path.

Each worker process remembers a successful lookup for ``AUTH_CACHE_SECONDS`` (default 5; 0
turns it off), keyed by the SHA-256 of the whole presented key, so a busy client does not cost
a database round trip per request. Only valid keys are remembered (an unknown or wrong key
always reaches the database), and a revoked key stops working within that many seconds.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, g, request
from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ipx.db import Base, UTCDateTime
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
    session: Session, *, role: str, party_id: int | None, name: str, now: datetime
) -> str:
    """Create a key and return it in clear: the only time it is ever shown."""
    role = checked_binding(role, party_id, "key")
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
        )
    )
    return f"ipx_{key_id}_{secret}"


def authenticate(session: Session, presented: str) -> Principal | None:
    """Return the principal for a presented key, or None."""
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != "ipx" or not key_id or not secret:
        return None
    row = session.execute(
        select(ApiKey).where(ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None))
    ).scalar_one_or_none()
    # Compare even when the row is missing, so timing does not reveal which key ids exist.
    expected = row.secret_hash if row else _hash_secret("")
    if not hmac.compare_digest(expected, _hash_secret(secret)) or row is None:
        return None
    return Principal(key_id=row.key_id, role=Role(row.role), party_id=row.party_id)


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
    principal = _cached_authenticate(token.strip())
    if principal is None:
        raise Unauthorized("The API key is not valid.")
    return principal


AUTH_CACHE_SECONDS = 5.0
AUTH_CACHE_MAX = 4096


def _cached_authenticate(token: str) -> Principal | None:
    """``authenticate``, remembering valid keys for a few seconds (see the module docstring)."""
    from ipx.db_ext import database

    ttl = float(current_app.config.get("AUTH_CACHE_SECONDS", AUTH_CACHE_SECONDS))
    cache: dict[str, tuple[float, Principal]] = current_app.extensions.setdefault(
        "ipx.auth_cache", {}
    )
    fingerprint, now = _hash_secret(token), time.monotonic()
    hit = cache.get(fingerprint)
    if hit is not None and hit[0] > now:
        return hit[1]
    with database().sessions() as session:
        principal = authenticate(session, token)
    if principal is not None and ttl > 0:
        if len(cache) >= AUTH_CACHE_MAX:  # bounded: forget everything rather than grow
            cache.clear()
        cache[fingerprint] = (now + ttl, principal)
    return principal


def authorize(principal: Principal | None, roles: frozenset[Role] | set[Role]) -> Principal:
    """Deny by default: 401 without a principal, 403 for a role not among ``roles`` (admins
    may do everything). The one role check of the API's routes and of the use-case runner."""
    if principal is None:
        raise Unauthorized()
    if principal.role not in roles and principal.role is not Role.ADMIN:
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
