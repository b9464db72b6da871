"""Supervised projections: a failing one restarts alone; versions only move forward; the swap
waits for its locks instead of starting the rebuild over."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
from typing import TYPE_CHECKING, Any

import pytest

from projections import registry, tracking
from projections.rebuild import NewerTablesError, ensure_current, ensure_tables, rebuild
from projections.runner import ProjectionRunner
from projections.supervisor import RESTARTING, Supervisor
from service.live import Waker
from service.repository import new_mapper
from tests.integration.projections.toys import TOYS, UPSERT, Counter, append_counters, totals

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from uuid import UUID

    import asyncpg

    from service.store import EventStore, LogNotification


async def _count(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(UPSERT.replace("toy_totals", "toy_ok_totals"), e.originator_id, 0)


#: The toys' table under another name, and no failing handler: the healthy neighbour.
HEALTHY = dataclasses.replace(
    TOYS,
    name="toys_ok",
    tables=("toy_ok_totals",),
    ddl=TOYS.ddl.replace("toy_totals", "toy_ok_totals"),
    handlers={t: _count for t in TOYS.handlers if not t.endswith("Exploded")},
)


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 15) -> None:
    """Poll ``check`` (the database or a runner's health: nothing to wait on) until true."""
    async with asyncio.timeout(seconds):
        for _ in itertools.count():
            if await check():
                return
            await asyncio.sleep(0.05)


async def _explode(store: EventStore) -> None:
    bad = Counter()
    bad.explode()
    await store.insert_events([new_mapper().to_stored_event(e) for e in bad.collect_events()])


async def test_one_failing_projection_restarts_alone_while_the_others_go_on(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    for projection in (TOYS, HEALTHY):
        await ensure_tables(pool, projection)
    await append_counters(store, [1])
    await _explode(store)
    made = await append_counters(store, [2, 3])
    runners = [
        ProjectionRunner(pool, store, p, page_size=100, standby_interval=0.05)
        for p in (TOYS, HEALTHY)
    ]
    supervisor, stop = Supervisor(min_backoff=0.05, max_backoff=0.2), asyncio.Event()
    task = asyncio.create_task(supervisor.run(runners, [Waker(0.05), Waker(0.05)], stop))
    try:

        async def restarted() -> bool:
            health = supervisor.health.get("toys")
            return health is not None and health.restarts >= 3

        await eventually(restarted)
        ok = "SELECT count(*) FROM toy_ok_totals WHERE counter_id = ANY($1)"

        async def counted(ids: list[UUID]) -> bool:
            return bool(await pool.fetchval(ok, ids) == len(ids))

        await eventually(lambda: counted(made))
        # Events after the failure still reach the healthy projection, live.
        later = await append_counters(store, [4])
        await eventually(lambda: counted(later))
        assert not task.done()  # nothing took the supervisor (and the healthy runner) down
        assert supervisor.health["toys"].state == RESTARTING or supervisor.health["toys"].restarts
        assert "HandlerError" in (supervisor.health["toys"].last_error or "")
        assert supervisor.health["toys_ok"].restarts == 0
        assert supervisor.degraded() in ([], ["toys"])  # between a restart and its next failure
        assert await totals(pool) == []  # the failing one stands before its bad page
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    states = {s.name: s.state for s in await registry.status(pool, store)}
    assert states["review_queue"] == "ok"  # projections never run here report nothing wrong
    row = {r["name"]: r for r in await tracking.all_rows(pool)}["toys"]
    assert "ValueError: boom" in row["error"]


async def test_older_code_stands_by_instead_of_rebuilding_newer_tables(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    newer = dataclasses.replace(TOYS, version=TOYS.version + 1)
    await ensure_tables(pool, newer)
    await append_counters(store, [5])
    await ProjectionRunner(pool, store, newer).catch_up()
    before = await totals(pool)
    with pytest.raises(NewerTablesError, match="newer than this code"):
        await ensure_current(pool, store, TOYS)  # an older process of a rolling deploy
    assert await tracking.version(pool, "toys") == newer.version
    assert await totals(pool) == before
    # The newer code finds its own version: nothing to rebuild either.
    await ensure_current(pool, store, newer)
    assert await tracking.version(pool, "toys") == newer.version


async def test_the_swap_waits_for_a_long_reader_and_keeps_what_it_built(
    pool: asyncpg.Pool, store: EventStore, caplog: pytest.LogCaptureFixture
) -> None:
    await ensure_tables(pool, TOYS)
    await append_counters(store, list(range(1, 21)))
    await ProjectionRunner(pool, store, TOYS).catch_up()
    live = await totals(pool)
    pages: list[int] = []
    async with pool.acquire() as reader:
        reader_tx = reader.transaction()
        await reader_tx.start()
        await reader.fetch("SELECT * FROM toy_totals")  # holds its lock until the commit
        caplog.set_level(logging.WARNING, logger="projections.rebuild")
        rebuilding = asyncio.create_task(
            rebuild(pool, store, TOYS, progress=lambda n, t: pages.append(n), page_size=10)
        )

        async def waiting() -> bool:
            return "swap attempt 1 could not take its locks" in caplog.text

        await eventually(waiting, 20)
        assert not rebuilding.done()
        await reader_tx.commit()
    assert await asyncio.wait_for(rebuilding, 30) == 40
    assert pages == [10, 20, 30, 40]  # built once: the retried swap did not start over
    assert await totals(pool) == live
