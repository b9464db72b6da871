"""One active runner per projection; a standby takes over when the leader stops or dies."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from projections import tracking
from projections.projection import Projection
from projections.rebuild import ensure_tables
from projections.runner import ProjectionRunner
from tests.integration.projections.toys import TOYS, append_counters, on_incremented, totals

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from typing import Any

    import asyncpg

    from service.store import EventStore, LogNotification


@contextlib.asynccontextmanager
async def running(runner: ProjectionRunner) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def eventually(check: Callable[[], Any], within: float = 5.0) -> float:
    """Wait until the async ``check`` is true; return how long it took."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < within, "condition not met in time"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def caught_up(pool: asyncpg.Pool, store: EventStore) -> Callable[[], Any]:
    async def check() -> bool:
        return await tracking.position(pool, "toys") == await store.max_notification_id()

    return check


def fast(pool: asyncpg.Pool, store: EventStore, projection: Projection = TOYS) -> ProjectionRunner:
    return ProjectionRunner(
        pool, store, projection, standby_interval=0.2, poll_interval=0.2, page_size=5
    )


async def test_only_the_leader_applies_and_a_standby_takes_over(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await ensure_tables(pool, TOYS)
    runners = [fast(pool, store), fast(pool, store)]
    stops = [asyncio.Event(), asyncio.Event()]
    tasks = [asyncio.create_task(r.run(s)) for r, s in zip(runners, stops, strict=True)]
    await append_counters(store, [1] * 20)
    await eventually(caught_up(pool, store))
    leader = 0 if runners[0].leading else 1
    standby = 1 - leader
    assert runners[leader].leading
    assert not runners[standby].leading
    assert runners[leader].pages_applied > 0
    assert runners[standby].pages_applied == 0
    stops[leader].set()
    await asyncio.wait_for(tasks[leader], 5)
    await append_counters(store, [2] * 10)
    assert await eventually(caught_up(pool, store)) < 5
    assert runners[standby].pages_applied > 0
    assert runners[standby].leading
    stops[standby].set()
    await asyncio.wait_for(tasks[standby], 5)
    assert sum(r[1] for r in await totals(pool)) == 40


async def test_a_standby_takes_over_when_the_leaders_connection_dies(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await ensure_tables(pool, TOYS)
    first, second = fast(pool, store), fast(pool, store)
    async with running(first), running(second):
        await append_counters(store, [1] * 5)
        await eventually(caught_up(pool, store))
        killed = await pool.fetchval(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert killed
        await append_counters(store, [2] * 5)
        await eventually(caught_up(pool, store))
        await eventually(lambda: _any_leading(first, second))
    assert sorted(r[1] for r in await totals(pool)) == [1] * 5 + [2] * 5


async def _any_leading(*runners: ProjectionRunner) -> bool:
    return any(r.leading for r in runners)


async def slow_increment(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute("SELECT pg_sleep(0.005)")
    await on_incremented(conn, e, n)


SLOW = Projection(
    name="toys",
    version=1,
    tables=TOYS.tables,
    ddl=TOYS.ddl,
    handlers={**TOYS.handlers, **{t: slow_increment for t in TOYS.handlers if "Incr" in t}},
)


async def test_cancelled_and_killed_runners_count_nothing_twice(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await ensure_tables(pool, SLOW)
    await append_counters(store, list(range(1, 101)))
    for _ in range(3):  # cancel mid-page, three times
        task = asyncio.create_task(fast(pool, store, SLOW).run(asyncio.Event()))
        await asyncio.sleep(0.15)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    async with running(fast(pool, store, SLOW)):
        await asyncio.sleep(0.15)
        await pool.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        await eventually(caught_up(pool, store), within=15)
    rows = await totals(pool)
    assert sorted(r[1] for r in rows) == list(range(1, 101))
    assert {r[2] for r in rows} == {2}
