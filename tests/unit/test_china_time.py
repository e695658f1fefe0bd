"""Times as the console and the valuation report write them: China Standard Time, to the
minute, the report naming the zone; from aware, naive-UTC and ISO 8601 inputs alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ipx.china_time import china_minutes, china_minutes_with_zone

LATE_EVENING_UTC = datetime(2026, 12, 3, 16, 5, 59, 999_999, tzinfo=UTC)  # 00:05 next day


@pytest.mark.parametrize(
    "moment",
    [
        LATE_EVENING_UTC,
        LATE_EVENING_UTC.replace(tzinfo=None),  # the database's naive UTC
        LATE_EVENING_UTC.astimezone(timezone(timedelta(hours=-5))),
        "2026-12-03T16:05:59.999999+00:00",  # as the API's JSON writes it
        "2026-12-03T16:05:59Z",
    ],
)
def test_every_form_of_a_moment_is_written_in_china_to_the_minute(moment):
    assert china_minutes(moment) == "2026-12-04 00:05"
    assert china_minutes_with_zone(moment) == "2026-12-04 00:05 (UTC+8)"
