"""``ipx keys``: what ``--expires`` accepts, and how ``ipx keys list`` shows a key.

``--expires`` takes a date, a time or a duration from now:

- ``2027-03-31``: the key works through that day (UTC) and expires at the midnight after it;
- ``2027-03-31T18:00:00Z`` (or any ISO 8601 time with an offset): expires at that instant;
- ``90d``, ``12h``, ``30m``, ``2w`` (days, hours, minutes, weeks): that long from now.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from ipx.auth import ApiKey

_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
LIST_COLUMNS = ("id", "role", "party", "name", "created", "expires", "revoked")


def parse_expiry(text: str, now: datetime) -> datetime:
    """The instant a key given ``--expires TEXT`` at ``now`` expires; ``ValueError`` for text
    that is none of the accepted forms, or an instant not after ``now``."""
    expires = _parse(text.strip(), now)
    if expires <= now:
        raise ValueError(f"--expires {text!r} is not in the future")
    return expires


def _parse(text: str, now: datetime) -> datetime:
    duration = _DURATION.match(text)
    if duration:
        amount, unit = int(duration.group(1)), _UNITS[duration.group(2)]
        return now + timedelta(**{unit: amount})
    try:
        if len(text) == 10:  # a calendar day: valid through it
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--expires {text!r}: give a date (2027-03-31), a time with its offset "
            "(2027-03-31T18:00:00Z) or a duration (90d, 12h, 30m, 2w)"
        ) from None
    if instant.tzinfo is None:
        raise ValueError(f"--expires {text!r}: a time needs its offset (Z for UTC)")
    return instant.astimezone(UTC)


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_row(key: ApiKey, now: datetime) -> tuple[str, ...]:
    """One line of ``ipx keys list``: never the secret nor its hash."""
    expires = _when(key.expires_at)
    if key.expires_at is not None and key.expires_at <= now:
        expires += " (expired)"
    party = str(key.party_id) if key.party_id is not None else "-"
    return (
        key.key_id,
        key.role,
        party,
        key.name or "-",
        _when(key.created_at),
        expires,
        _when(key.revoked_at),
    )
