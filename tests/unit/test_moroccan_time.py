"""Dates and times shown to people are Moroccan; machine formats keep an explicit offset."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.local_time import in_morocco, moroccan_day
from web.common.i18n import format_day, format_moment

#: 00:22 on 7 December in Morocco (UTC+1) is still 6 December in UTC.
JUST_AFTER_MIDNIGHT = datetime(2026, 12, 6, 23, 22, tzinfo=UTC)


def test_a_submission_at_0022_local_time_on_7_december_is_dated_7_december() -> None:
    assert JUST_AFTER_MIDNIGHT.date() == date(2026, 12, 6)
    assert moroccan_day(JUST_AFTER_MIDNIGHT) == date(2026, 12, 7)
    assert format_day(JUST_AFTER_MIDNIGHT, "fr") == "7 décembre 2026"
    assert format_day(JUST_AFTER_MIDNIGHT, "en") == "7 December 2026"
    assert "00:22" in format_moment(JUST_AFTER_MIDNIGHT, "fr")


def test_moroccan_time_follows_ramadan_from_the_zone_database() -> None:
    # Morocco sets its clocks back to UTC+0 during Ramadan (about 18 February - 22 March 2026).
    assert in_morocco(datetime(2026, 3, 1, 12, tzinfo=UTC)).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert in_morocco(JUST_AFTER_MIDNIGHT).isoformat() == "2026-12-07T00:22:00+01:00"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        in_morocco(datetime(2026, 12, 7, 0, 22))
