"""The events table locked for a long time: commands fail fast with Unavailable, then recover."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import asyncpg
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from service.errors import Unavailable
from tests.faults.support import Acknowledged, assert_invariants, submit_keyed
from tests.integration.service.support import submit
from web.common.errors import exception_handlers

if TYPE_CHECKING:
    from service.settings import Settings
    from service.store import EventStore
    from tests.integration.service.support import Programme

CALLERS = 30  # more than the pool holds (12): the rest must not queue without bound
WAITING_ON_LOCKS = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = 'grants' AND wait_event_type = 'Lock'
"""


async def _hold_lock(database_url: str, seconds: float, locked: asyncio.Event) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
            locked.set()
            await asyncio.sleep(seconds)
    finally:
        await conn.close()


async def _timed(coro: object) -> tuple[float, BaseException | None]:
    started = time.monotonic()
    try:
        await coro  # type: ignore[misc]
    except Exception as error:
        return time.monotonic() - started, error
    return time.monotonic() - started, None


async def _locked_table(
    settings: Settings, pool: asyncpg.Pool, store: EventStore, prog: Programme, db: str, hold: float
) -> None:
    locked = asyncio.Event()
    holder = asyncio.create_task(_hold_lock(db, hold, locked))
    await locked.wait()
    outcomes = await asyncio.gather(*(_timed(submit(store, prog)) for _ in range(CALLERS)))
    # Fail fast: each gives up after lock_timeout, or after the pool wait if it never got a
    # connection; nobody waits for the lock holder.
    bound = (settings.lock_timeout_ms + 2 * settings.pool_acquire_timeout_ms) / 1000 + 1.0
    assert all(isinstance(error, Unavailable) for _, error in outcomes), outcomes
    assert max(elapsed for elapsed, _ in outcomes) < min(bound, hold)
    assert await pool.fetchval(WAITING_ON_LOCKS) == 0, "commands still queue on the lock"
    assert pool.get_size() <= settings.pool_max_size
    await holder

    started, acked = time.monotonic(), Acknowledged()
    await asyncio.gather(*(submit_keyed(store, prog, f"after-{i}", acked) for i in range(CALLERS)))
    assert acked.unavailable == 0
    assert time.monotonic() - started < 5, "throughput did not recover after the lock went"
    await assert_invariants(pool, store, acked=acked)


async def test_locked_events_table_fails_commands_fast_and_recovers(
    settings: Settings, pool: asyncpg.Pool, store: EventStore, programme: Programme,
    database_url: str,
) -> None:  # fmt: skip
    await _locked_table(settings, pool, store, programme, database_url, hold=5)


@pytest.mark.slow
async def test_events_table_locked_for_thirty_seconds(
    settings: Settings, pool: asyncpg.Pool, store: EventStore, programme: Programme,
    database_url: str,
) -> None:  # fmt: skip
    await _locked_table(settings, pool, store, programme, database_url, hold=30)


@get("/api/v1/busy", sync_to_thread=False)
def busy() -> None:
    raise Unavailable("the database is busy", retry_after=3)


@get("/api/v1/locked", sync_to_thread=False)
def locked() -> None:
    raise asyncpg.exceptions.LockNotAvailableError("canceling statement due to lock timeout")


async def test_unavailable_is_503_with_retry_after() -> None:
    app = Litestar(route_handlers=[busy, locked], exception_handlers=exception_handlers())
    async with AsyncTestClient(app) as client:
        response = await client.get("/api/v1/busy")
        # A page's own read that meets the lock, outside any command: 503 as well, not 500.
        raw = await client.get("/api/v1/locked")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "3"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 503
    assert raw.status_code == 503
    assert raw.headers["retry-after"] == "1"
