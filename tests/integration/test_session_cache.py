"""The per-process session cache: a session is read once, and forgotten as soon as it changes.

Two feeds on one database stand for two processes: what one process (or an administrator's
SQL) changes, the other's cache forgets through the trigger's notification, never by waiting
for the entry to age out (the caches here keep entries for an hour).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

from service import accounts, sessions
from service.live import SESSIONS_CHANNEL, LiveFeed
from service.passwords import Passwords

if TYPE_CHECKING:
    import asyncpg

HOUR = 3600.0


async def listening_cache(pool: asyncpg.Pool) -> tuple[LiveFeed, sessions.SessionCache]:
    feed = LiveFeed(pool, (SESSIONS_CHANNEL,))
    cache = sessions.SessionCache(feed, ttl_s=HOUR)
    async with asyncio.timeout(10):
        await feed.wait_listening()
    return feed, cache


async def signed_in(pool: asyncpg.Pool) -> tuple[accounts.User, str]:
    user = await accounts.create_user(
        pool=pool, passwords=Passwords(), email=f"{uuid.uuid4().hex[:8]}@example.ma",
        display_name="Investor", role="investor", password="a long enough password 1",
    )  # fmt: skip
    return user, await sessions.create(pool, {"uid": str(user.id), "csrf": "t"}, user.id)


async def gone(cache: sessions.SessionCache, session_id: str) -> None:
    """Wait until the cache no longer holds the session (the notification arrived)."""
    async with asyncio.timeout(5):
        while cache.lookup(sessions.cache_key(session_id)) is not None:  # noqa: ASYNC110
            await asyncio.sleep(0.005)


async def test_a_session_is_read_from_the_database_once_then_from_the_cache(
    pool: asyncpg.Pool,
) -> None:
    feed, cache = await listening_cache(pool)
    try:
        user, session_id = await signed_in(pool)
        first = await sessions.load(pool, session_id, cache)
        again = await sessions.load(pool, session_id, cache)
        assert first is not None
        assert again is not None
        assert again.data == first.data == {"uid": str(user.id), "csrf": "t"}
        assert again.user is not None
        assert again.user["id"] == user.id
        assert (cache.misses, cache.hits) == (1, 1)
        again.data["uid"] = "tampered"  # each request gets its own copy
        third = await sessions.load(pool, session_id, cache)
        assert third is not None
        assert third.data["uid"] == str(user.id)
    finally:
        await feed.close()


async def test_a_session_ended_elsewhere_is_forgotten_at_once(pool: asyncpg.Pool) -> None:
    feed, cache = await listening_cache(pool)
    try:
        _, session_id = await signed_in(pool)
        assert await sessions.load(pool, session_id, cache) is not None
        await sessions.delete(pool, session_id)  # another process logs the user out
        await gone(cache, session_id)
        assert await sessions.load(pool, session_id, cache) is None
    finally:
        await feed.close()


async def test_a_disabled_account_or_changed_role_is_forgotten_at_once(
    pool: asyncpg.Pool,
) -> None:
    feed, cache = await listening_cache(pool)
    try:
        user, session_id = await signed_in(pool)
        assert await sessions.load(pool, session_id, cache) is not None
        await pool.execute(accounts.UPDATE_ACTIVE, user.id, False)
        await gone(cache, session_id)
        stored = await sessions.load(pool, session_id, cache)
        assert stored is not None
        assert stored.user is None
        await pool.execute(accounts.UPDATE_ACTIVE, user.id, True)
        await gone(cache, session_id)
        assert await sessions.load(pool, session_id, cache) is not None  # cached again
        await pool.execute(accounts.UPDATE_ROLE, user.id, "reviewer")
        await gone(cache, session_id)
        again = await sessions.load(pool, session_id, cache)
        assert again is not None
        assert again.user is not None
        assert again.user["role"] == "reviewer"
    finally:
        await feed.close()


async def test_nothing_is_answered_from_the_cache_while_the_feed_does_not_listen(
    pool: asyncpg.Pool,
) -> None:
    """A lost LISTEN connection loses notifications: the cache is bypassed, then emptied."""
    feed, cache = await listening_cache(pool)
    feed.backoff_s = 0.5
    try:
        _, session_id = await signed_in(pool)
        assert await sessions.load(pool, session_id, cache) is not None
        await pool.execute("SELECT pg_terminate_backend($1)", feed.backend_pid)
        async with asyncio.timeout(10):
            while feed.mode == "listening":  # noqa: ASYNC110
                await asyncio.sleep(0.005)
        assert cache.lookup(sessions.cache_key(session_id)) is None
        async with asyncio.timeout(10):
            await feed.wait_listening()
        assert cache.lookup(sessions.cache_key(session_id)) is None  # emptied on return
    finally:
        await feed.close()


async def test_a_read_that_raced_with_a_change_is_not_kept(pool: asyncpg.Pool) -> None:
    feed, cache = await listening_cache(pool)
    try:
        key = sessions.cache_key(sessions.new_id())
        before = cache.generation()
        cache.forget(sessions.cache_key(sessions.new_id()))  # a change landed during the read
        row = {"data": "{}", "stale": False, "id": None, "user_id": None}
        cache.keep(key, before, row)
        assert cache.lookup(key) is None
        cache.keep(key, cache.generation(), row)
        assert cache.lookup(key) is not None
    finally:
        await feed.close()


async def test_a_notification_is_sent_on_the_listen_connection(pool: asyncpg.Pool) -> None:
    feed = LiveFeed(pool, ("chan",))
    waker = feed.waker(poll_interval=30)
    try:
        async with asyncio.timeout(10):
            await feed.wait_listening()
        waiting = asyncio.create_task(waker.wait())
        await asyncio.sleep(0.02)
        await feed.notify(pool, "chan")
        await asyncio.wait_for(waiting, 5)  # poll_interval=30: only the notification wakes it
    finally:
        await feed.close()
