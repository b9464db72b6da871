"""The clock port: use cases ask it for the time, so tests and demo data can choose it.

The default is the database's clock, read inside the command's transaction: deadlines (a call's
closing time) and event timestamps then never depend on the clock of whichever app process ran
the command, so two web workers with skewed clocks decide a deadline the same way. A plain
callable (a test's stepping clock, the demo's paced one) is used as given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time of this process, timezone-aware in UTC."""
    return datetime.now(UTC)


def database_now() -> datetime:
    """Marker for "the database's ``now()``": commands read it in their transaction.

    Called outside a command (where no transaction exists) it falls back to this process's clock.
    """
    return utc_now()
