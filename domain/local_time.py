"""Moroccan time: the zone every date and time shown to a person is written in.

Machine formats (API, JSON, the ledger) keep an explicit offset; a page, an e-mail or a CSV row
shows the moment as it was in Morocco: a submission at 00:22 on 7 December, Moroccan time, is
dated 7 December even though it was still 6 December in UTC. Morocco keeps UTC+1 except during
Ramadan (UTC+0); the rules come from the IANA database (the ``tzdata`` package when the system
has none), never from a fixed offset of our own.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

MOROCCO: Final = ZoneInfo("Africa/Casablanca")


def in_morocco(moment: datetime) -> datetime:
    """The same instant on Moroccan clocks (an aware datetime with Morocco's offset)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no instant: give it a time zone")
    return moment.astimezone(MOROCCO)


def moroccan_day(moment: datetime) -> date:
    """The calendar day in Morocco at ``moment``."""
    return in_morocco(moment).date()
