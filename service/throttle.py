"""Login throttling: failure counters per account and per client address, in PostgreSQL.

Checked before any password is hashed, so a guesser can neither brute-force an account nor make
the server burn CPU; counters live in the database so that every worker sees the same ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg

SELECT_BLOCK = """
SELECT max(blocked_until) - now() FROM login_failures WHERE key = ANY($1) AND blocked_until > now()
"""
# A failure after a quiet window starts counting afresh.
RECORD_FAILURE = """
INSERT INTO login_failures AS f (key, failures) VALUES ($1, 1)
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN f.last_failure < now() - $2::interval THEN 1 ELSE f.failures + 1 END,
    first_failure = CASE WHEN f.last_failure < now() - $2::interval THEN now() ELSE f.first_failure END,
    last_failure = now()
RETURNING failures
"""
BLOCK = "UPDATE login_failures SET blocked_until = now() + $2::interval WHERE key = $1"
CLEAR = "DELETE FROM login_failures WHERE key = $1"


class LoginThrottledError(Exception):
    """Raised when an account or address has failed too often; ``retry_after`` in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True, kw_only=True)
class ThrottlePolicy:
    """How many failures are allowed, how long a block lasts, how the delay grows."""

    account_limit: int = 5
    # Many people can share one address (a company, a carrier-grade NAT).
    client_limit: int = 50
    block: timedelta = timedelta(minutes=15)
    base_delay_s: float = 0.25
    max_delay_s: float = 2.0

    def delay(self, failures: int) -> float:
        """Seconds to wait before answering the ``failures``-th failure."""
        return min(self.max_delay_s, self.base_delay_s * 2.0 ** max(0, failures - 1))


def keys(*, email: str, client: str) -> tuple[str, str]:
    """The account's key, then the client address's."""
    return f"account:{email}", f"ip:{client}"


async def check(pool: asyncpg.Pool, keys: tuple[str, ...]) -> None:
    """Raise ``LoginThrottledError`` while any of ``keys`` is blocked."""
    remaining = await pool.fetchval(SELECT_BLOCK, list(keys))
    if remaining is not None:
        raise LoginThrottledError(max(1, math.ceil(remaining.total_seconds())))


async def record_failure(pool: asyncpg.Pool, keys: tuple[str, str], policy: ThrottlePolicy) -> int:
    """Count a failure on both keys, blocking those over their limit; the account's count."""
    limits = (policy.account_limit, policy.client_limit)
    counts = []
    async with pool.acquire() as conn, conn.transaction():
        for key, limit in zip(keys, limits, strict=True):
            failures = await conn.fetchval(RECORD_FAILURE, key, policy.block)
            if failures >= limit:
                await conn.execute(BLOCK, key, policy.block)
            counts.append(failures)
    return int(counts[0])


async def clear(pool: asyncpg.Pool, key: str) -> None:
    """Forget the failures of ``key`` (after a successful log-in)."""
    await pool.execute(CLEAR, key)
