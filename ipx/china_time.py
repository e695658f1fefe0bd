"""Moments as people in China read them: China Standard Time (Asia/Shanghai), to the minute,
and the China date of a moment (``china_date``: the day the registry counts due dates, days in
force and schedules by).

Plain Python: the console's ``| when`` filter and the valuation report's PDF both write times
this way, and the report must not need a request (or Flask-Babel's locale and zone) to do so.
The API's JSON keeps its ISO 8601 UTC timestamps (``utc_text``, which the exports and the
command line write too).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

TIMEZONE_NAME = "Asia/Shanghai"
CHINA = ZoneInfo(TIMEZONE_NAME)


def in_china(moment: datetime | str) -> datetime:
    """The moment (aware, naive UTC as the database keeps it, or ISO 8601 as the API writes
    it, ``Z`` included) in China Standard Time."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA)


def china_date(moment: datetime) -> date:
    """The China Standard Time date of a moment (stored in UTC; a naive one is read as UTC)."""
    return in_china(moment).date()


def china_minutes(moment: datetime | str) -> str:
    """``2026-12-03 14:05``: the moment in China, to the minute (the console's ``| when``)."""
    return in_china(moment).strftime("%Y-%m-%d %H:%M")


def china_minutes_with_zone(moment: datetime | str) -> str:
    """``2026-12-03 14:05 (UTC+8)``: as ``china_minutes``, saying which zone, for a document
    read away from the console (the valuation report)."""
    local = in_china(moment)
    return f"{local.strftime('%Y-%m-%d %H:%M')} ({_utc_offset(local.utcoffset())})"


def _utc_offset(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta()).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def utc_text(moment: datetime) -> str:
    """``moment`` as the API writes times: ISO 8601 in UTC with ``Z`` (the ``Timestamp``
    field of ``ipx.web.fields``, the console's CSV exports, the command line's JSON)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime names no moment; the records hold UTC")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
