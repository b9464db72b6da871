"""An investor opens an account, by the page or the API: the same rules and the same throttle.

Opening accounts is throttled per client address (counters in ``login_failures`` under their own
``register:`` keys), so a script cannot mass-create accounts from one address; the page and the
API also both demand the session's CSRF token (``web.common.sessions.check_csrf``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Final

from service import accounts, throttle
from service.accounts import INVESTOR

if TYPE_CHECKING:
    import asyncpg

    from service.accounts import User
    from service.passwords import Passwords

#: Accounts one address may open per window; a family or an office shares an address.
REGISTRATIONS_PER_ADDRESS: Final = 20
WINDOW: Final = timedelta(minutes=15)


def _key(client: str) -> str:
    return f"register:ip:{client}"


async def register_investor(
    *,
    pool: asyncpg.Pool,
    passwords: Passwords,
    client: str,
    email: str,
    display_name: str,
    password: str,
    limit: int = REGISTRATIONS_PER_ADDRESS,
) -> User:
    """Open an investor account; ``LoginThrottledError`` once the address opened too many."""
    await throttle.check(pool, (_key(client),))
    user = await accounts.create_user(
        pool=pool, passwords=passwords, email=email, display_name=display_name,
        role=INVESTOR, password=password,
    )  # fmt: skip
    async with pool.acquire() as conn, conn.transaction():
        opened = await conn.fetchval(throttle.RECORD_FAILURE, _key(client), WINDOW)
        if opened >= limit:
            await conn.execute(throttle.BLOCK, _key(client), WINDOW)
    return user
