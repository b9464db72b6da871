"""One LISTEN per process, re-established after it is lost; broadcasts read once per change.

The LISTEN connection is killed for real (``pg_terminate_backend``), as a restart or a network
cut would; the subscribers use long poll intervals so that only a working LISTEN can wake them
in time.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import asyncpg
from eventsourcing.persistence import StoredEvent

from service.live import PROJECTIONS_CHANNEL, Broadcast, LiveFeed, announce

if TYPE_CHECKING:
    from service.store import EventStore, LogNotification


def event(oid: uuid.UUID, version: int) -> StoredEvent:
    return StoredEvent(oid, version, "tests:Nothing", b"x")


async def listening(feed: LiveFeed) -> None:
    async with asyncio.timeout(10):
        await feed.wait_listening()


async def listen_backends(pool: asyncpg.Pool) -> int:
    """Server processes of this database that LISTEN (asyncpg's LISTEN is their last query)."""
    sql = """SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN %'"""
    return int(await pool.fetchval(sql))


async def test_a_killed_listen_connection_is_reestablished_and_wakes_again(
    pool: asyncpg.Pool,
) -> None:
    feed = LiveFeed(pool, ("chan",), backoff_s=0.05)
    waker = feed.waker(poll_interval=30)
    try:
        await listening(feed)
        first = feed.backend_pid
        await pool.execute("SELECT pg_terminate_backend($1)", first)
        async with asyncio.timeout(10):
            while feed.connections < 2:  # noqa: ASYNC110 - the feed offers counts, not events
                await asyncio.sleep(0.01)
        await listening(feed)
        assert feed.backend_pid != first
        assert feed.last_error is not None
        waiting = asyncio.create_task(waker.wait())
        await asyncio.sleep(0.05)
        await pool.execute("SELECT pg_notify('chan', '')")
        await asyncio.wait_for(waiting, 5)  # poll_interval=30: only the new LISTEN can wake it
    finally:
        await feed.close()
    assert feed.mode == "stopped"


async def test_the_feed_polls_while_the_server_refuses_it_then_listens(
    pool: asyncpg.Pool, admin_url: str
) -> None:
    """The bridge: while no LISTEN connection can be had, wakers return after poll_interval."""
    name = await pool.fetchval("SELECT current_database()")
    feed = LiveFeed(pool, ("chan",), backoff_s=0.05, backoff_cap_s=0.2)
    waker = feed.waker(poll_interval=0.05, quiet_interval=30)
    admin = await asyncpg.connect(admin_url)
    try:
        await listening(feed)
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            await pool.expire_connections()
            await admin.execute("SELECT pg_terminate_backend($1)", feed.backend_pid)
            async with asyncio.timeout(10):
                while feed.mode != "polling":  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.5)  # several refused reconnections
            assert feed.mode == "polling"
            await asyncio.wait_for(waker.wait(), 2)  # polling: 0.05 s, not the quiet 30 s
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await listening(feed)
        assert feed.connections == 2
    finally:
        await admin.close()
        await feed.close()


async def test_a_subscription_outlives_its_listen_connection(store: EventStore) -> None:
    oid = uuid.uuid4()
    received: list[LogNotification] = []

    async def follow() -> None:
        async for notification in store.subscribe(poll_interval=30):
            received.append(notification)
            if len(received) == 2:
                return

    follower = asyncio.create_task(follow())
    await store.insert_events([event(oid, 1)])
    await listening(store.feed)
    async with asyncio.timeout(5):
        while not received:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    store.feed.backoff_s = 0.01
    await store.pool.execute("SELECT pg_terminate_backend($1)", store.feed.backend_pid)
    async with asyncio.timeout(10):
        while store.feed.connections < 2 or store.feed.mode != "listening":  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    await store.insert_events([event(oid, 2)])
    await asyncio.wait_for(follower, 5)  # poll_interval=30: the NOTIFY on the new connection
    assert [n.originator_version for n in received] == [1, 2]


async def test_one_listen_and_one_read_per_change_for_many_viewers(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    reads = 0

    async def load() -> int:
        nonlocal reads
        reads += 1
        return int(await pool.fetchval("SELECT count(*) FROM events"))

    live = Broadcast(store.feed, load, channels=frozenset({PROJECTIONS_CHANNEL}), quiet_interval=30)
    seen: list[list[int]] = [[] for _ in range(200)]

    async def view(mine: list[int]) -> None:
        async for value in live.values():
            mine.append(value)
            if value == 1:
                return

    viewers = [asyncio.create_task(view(mine)) for mine in seen]
    async with store.listener(poll_interval=30):  # a runner's waker: the same connection
        await listening(store.feed)
        await asyncio.sleep(0.1)
        assert live.subscribers == 200
        assert await listen_backends(pool) == 1
        before = reads
        await store.insert_events([event(uuid.uuid4(), 1)])
        await announce(pool, "ledger")
        await asyncio.wait_for(asyncio.gather(*viewers), 5)
    assert all(mine == [0, 1] for mine in seen)
    assert reads - before <= 2  # one read per wake-up, whatever the number of viewers
    assert live.subscribers == 0
