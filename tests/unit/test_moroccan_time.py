"""Dates and times shown to people are Moroccan; machine formats keep an explicit offset."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from babel.dates import format_date, format_time

from domain.local_time import in_morocco, moroccan_day
from web.common.i18n import format_day, format_deadline, format_moment

#: 00:22 on 7 December in Morocco (UTC+1) is still 6 December in UTC.
JUST_AFTER_MIDNIGHT = datetime(2026, 12, 6, 23, 22, tzinfo=UTC)


def test_a_submission_at_0022_local_time_on_7_december_is_dated_7_december() -> None:
    assert JUST_AFTER_MIDNIGHT.date() == date(2026, 12, 6)
    assert moroccan_day(JUST_AFTER_MIDNIGHT) == date(2026, 12, 7)
    assert format_day(JUST_AFTER_MIDNIGHT, "fr") == "7 décembre 2026"
    assert format_day(JUST_AFTER_MIDNIGHT, "en") == "7 December 2026"
    assert "00:22" in format_moment(JUST_AFTER_MIDNIGHT, "fr")


#: A call closing "at the end of 30 June 2027" is kept as the first instant it no longer accepts:
#: midnight starting 1 July in Morocco (UTC+1), 23:00 on 30 June in UTC.
END_OF_30_JUNE = datetime(2027, 6, 30, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "shown"),
    [("fr", "30 juin 2027"), ("en", "30 June 2027"), ("ar", "30 يونيو 2027")],
)
def test_a_deadline_at_midnight_reads_as_the_end_of_the_day_before(
    language: str, shown: str
) -> None:
    text = format_deadline(END_OF_30_JUNE, language)
    assert shown in text
    assert "23:59" in text
    assert "1 juil" not in text
    assert "July" not in text


def test_a_deadline_joins_cldr_long_date_and_short_time() -> None:
    """Checked against Babel's CLDR data, not a pattern of our own."""
    moment = datetime(2027, 7, 1, 16, 30, tzinfo=UTC)  # 17:30 in Morocco
    for language, locale in (("fr", "fr"), ("en", "en_GB"), ("ar", "ar_MA")):
        text = format_deadline(moment, language)
        assert format_date(date(2027, 7, 1), format="long", locale=locale) in text
        assert format_time(datetime(2027, 7, 1, 17, 30), format="short", locale=locale) in text


def test_moroccan_time_follows_ramadan_from_the_zone_database() -> None:
    # Morocco sets its clocks back to UTC+0 during Ramadan (about 18 February - 22 March 2026).
    assert in_morocco(datetime(2026, 3, 1, 12, tzinfo=UTC)).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert in_morocco(JUST_AFTER_MIDNIGHT).isoformat() == "2026-12-07T00:22:00+01:00"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        in_morocco(datetime(2026, 12, 7, 0, 22))
