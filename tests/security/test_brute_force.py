"""ASVS 6.1.1, 6.3.1: per-account and per-address throttling in PostgreSQL, growing delays,
a temporary block, never a permanent lockout; forwarded addresses only from trusted proxies."""

from __future__ import annotations

import asyncio
import types
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher

from service import accounts
from service.accounts import InvalidCredentialsError
from service.passwords import Passwords
from service.throttle import LoginThrottledError, ThrottlePolicy
from tests.e2e.conftest import PASSWORD, make_user, post_form

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

FAST = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


async def attempt(
    db: asyncpg.Pool,
    policy: ThrottlePolicy,
    email: str,
    password: str,
    client: str = "198.51.100.4",
) -> str:
    try:
        await accounts.authenticate(
            pool=db, passwords=FAST, policy=policy, email=email, password=password, client=client
        )
    except InvalidCredentialsError:
        return "wrong"
    except LoginThrottledError:
        return "blocked"
    return "ok"


async def test_concurrent_failures_are_all_counted_and_block(db: asyncpg.Pool) -> None:
    user = await make_user(db)
    policy = ThrottlePolicy(base_delay_s=0)
    results = await asyncio.gather(
        *(attempt(db, policy, user.email, "wrong guess!") for _ in range(16))
    )
    assert set(results) <= {"wrong", "blocked"}
    row = await db.fetchrow(
        "SELECT failures, blocked_until > now() AS blocked FROM login_failures WHERE key = $1",
        f"account:{user.email}",
    )
    assert row["failures"] == results.count("wrong")  # no lost update under concurrency
    assert row["blocked"]
    # Blocked: even the right password is refused, without hashing (see test_passwords).
    assert await attempt(db, policy, user.email, PASSWORD) == "blocked"


async def test_the_block_is_temporary(db: asyncpg.Pool) -> None:
    user = await make_user(db)
    policy = ThrottlePolicy(base_delay_s=0)
    for _ in range(policy.account_limit):
        await attempt(db, policy, user.email, "wrong guess!")
    until = await db.fetchval(
        "SELECT blocked_until - now() FROM login_failures WHERE key = $1", f"account:{user.email}"
    )
    assert timedelta(0) < until <= policy.block <= timedelta(hours=1)
    await db.execute("UPDATE login_failures SET blocked_until = now() - interval '1 second'")
    assert await attempt(db, policy, user.email, PASSWORD) == "ok"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM login_failures WHERE key = $1", f"account:{user.email}"
        )
        == 0
    )


async def test_one_address_guessing_many_accounts_is_blocked(db: asyncpg.Pool) -> None:
    policy = ThrottlePolicy(base_delay_s=0, client_limit=4)
    for i in range(4):
        assert await attempt(db, policy, f"nobody{i}@region.ma", "wrong guess!") == "wrong"
    assert await attempt(db, policy, "another@region.ma", "wrong guess!") == "blocked"
    assert (
        await attempt(db, policy, "another@region.ma", "wrong guess!", client="198.51.100.5")
        == "wrong"
    )


async def test_delays_grow_with_failures_up_to_a_cap(
    db: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = ThrottlePolicy(base_delay_s=0.05, max_delay_s=0.2)
    waited: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(seconds: float) -> None:
        waited.append(seconds)
        await real_sleep(0)

    # Only the log-in's own pause: patching asyncio.sleep itself would also record the sleeps of
    # background tasks (the live feed's heartbeat) running on the same event loop.
    monkeypatch.setattr(accounts, "asyncio", types.SimpleNamespace(sleep=recording_sleep))
    user = await make_user(db)
    for _ in range(4):
        await attempt(db, policy, user.email, "wrong guess!")
    assert waited == [0.05, 0.1, 0.2, 0.2]  # doubling, then capped; a block comes at the 5th


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    await client.get("/login")
    token = await db.fetchval("SELECT data->>'csrf' FROM web_sessions")
    await client.post(
        "/login",
        data={"email": "x@region.ma", "password": "wrong guess!", "_csrf": token},
        headers={"X-Forwarded-For": "203.0.113.77"},
    )
    keys = {row["key"] for row in await db.fetch("SELECT key FROM login_failures")}
    assert keys == {"account:x@region.ma", "ip:testclient"}


async def test_login_page_answers_429_with_retry_after(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    statuses = [
        (
            await post_form(client, "/login", {"email": user.email, "password": "wrong guess!"})
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [422] * 5 + [429]
