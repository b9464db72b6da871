"""Pages read once for the runners of a process, and per-event writes sent in runs."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import TYPE_CHECKING, Any, cast

import pytest

from projections import registry, tracking
from projections.projection import BatchedWrites, HandlerError
from projections.rebuild import ensure_tables
from projections.runner import ProjectionRunner, SharedReads
from service.repository import new_mapper
from service.store import START
from tests.integration.projections.toys import TOPIC, TOYS, append_counters, totals

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore, LogNotification

BATCHED = dataclasses.replace(TOYS, batched=True)
NOT_NEGATIVE = "ALTER TABLE toy_totals ADD CONSTRAINT not_negative CHECK (total >= 0)"


async def test_runners_at_one_position_share_one_read(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await ensure_tables(pool, TOYS)
    await append_counters(store, [5, 7, 11])
    shared = SharedReads(store, new_mapper())
    first = ProjectionRunner(pool, store, TOYS, page_size=100, shared=shared)
    again = ProjectionRunner(pool, store, TOYS, page_size=100, shared=shared)
    assert await first.step() == 6
    assert shared.reads == 1
    # The second runner stands where the first started (its write is refused: same tracking
    # row); it got the page without reading, then reads where the projection now stands.
    again.position = START
    assert await again.step() == 0
    assert shared.reads == 2  # the one read from the new position, empty
    assert sorted(r[1] for r in await totals(pool)) == [5, 7, 11]


async def test_an_empty_page_is_not_shared_with_a_runner_woken_after_its_read(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    shared = SharedReads(store, new_mapper())
    async with pool.acquire() as conn:
        empty = await shared.read(START, 10, conn, fresh_since=time.monotonic())
        assert not empty.decoded.page
        await append_counters(store, [1])  # committed, and announced: the runner wakes
        woke = time.monotonic()
        page = await shared.read(START, 10, conn, fresh_since=woke)
        assert len(page.decoded.page) == 2
        # read before that wake, it could stand for the old empty one too
        assert await shared.read(START, 10, conn, fresh_since=0.0) is page
        assert shared.reads == 2


async def test_an_older_page_is_shared_as_it_is_a_prefix_of_a_newer_read(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await append_counters(store, [1])
    shared = SharedReads(store, new_mapper())
    async with pool.acquire() as conn:
        page = await shared.read(START, 10, conn, fresh_since=time.monotonic())
        await append_counters(store, [2])
        later = await shared.read(START, 10, conn, fresh_since=time.monotonic())
        fresh = await store.select_notifications(START, 10, conn=conn)
    assert later is page
    assert shared.reads == 1
    assert list(page.decoded.page) == fresh[: len(page.decoded.page)]


async def test_batched_writes_give_the_same_rows(pool: asyncpg.Pool, store: EventStore) -> None:
    await ensure_tables(pool, BATCHED)
    await append_counters(store, [5, 7, 11])
    runner = ProjectionRunner(pool, store, BATCHED, page_size=100)
    assert await runner.catch_up() == 6
    assert sorted(r[1:] for r in await totals(pool)) == [(5, 2), (7, 2), (11, 2)]


async def test_a_batched_write_that_fails_names_its_own_event(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await ensure_tables(pool, BATCHED)
    await pool.execute(NOT_NEGATIVE)
    await append_counters(store, [5, -7, 11])  # the second increment breaks the constraint
    page = await store.select_notifications(None, 100)
    bad = next(n for n in page if n.topic == f"{TOPIC}.Incremented" and _amount(n) < 0)
    runner = ProjectionRunner(pool, store, BATCHED, page_size=100)
    with pytest.raises(HandlerError) as raised:
        await runner.catch_up()
    assert raised.value.position == bad.position
    assert "CheckViolationError" in str(raised.value)
    assert await totals(pool) == []  # the whole page rolled back
    assert await tracking.position(pool, "toys") == START


class Recorder:
    """A connection that records what it is sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    async def execute(self, query: str, *args: Any) -> str:
        self.sent.append(("execute", (query, args)))
        return "OK"

    async def executemany(self, query: str, args: Any) -> None:
        self.sent.append(("executemany", (query, list(args))))

    async def fetchval(self, query: str, *args: Any) -> int:
        self.sent.append(("fetchval", (query, args)))
        return 1


async def test_batched_writes_send_each_run_of_a_statement_at_once_and_before_a_read() -> None:
    conn = Recorder()
    batch = BatchedWrites(cast("asyncpg.Connection", conn))
    for n in (1, 2, 3):
        await batch.execute("A", n)
    await batch.execute("B", 4)
    await batch.execute("A", 5)
    assert conn.sent == []
    assert await batch.fetchval("R") == 1  # a read sees every write before it
    await batch.execute("A", 6)
    await batch.execute("SET x")  # no arguments: sent at once, after what is held
    await batch.flush()
    assert conn.sent == [
        ("executemany", ("A", [(1,), (2,), (3,)])),
        ("executemany", ("B", [(4,)])),
        ("executemany", ("A", [(5,)])),
        ("fetchval", ("R", ())),
        ("executemany", ("A", [(6,)])),
        ("execute", ("SET x", ())),
    ]


def _amount(n: LogNotification) -> int:
    return int(new_mapper().to_domain_event(n).amount)


async def test_runners_apply_pages_on_connections_of_their_own(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await registry.ensure_all(pool)
    stop = asyncio.Event()
    running = asyncio.create_task(registry.run_all(pool, store, stop_event=stop))
    try:
        async with asyncio.timeout(10):
            while not await pool.fetchval(OWN, registry.PROJECTIONS_APPLICATION):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        in_use = pool.get_size() - pool.get_idle_size()
        assert in_use <= 1  # the LISTEN connection; the runners' are in their own pool
        assert pool.settings.projection_pool_size == 4
        # four shared by the runners, one for the review queue alone
        assert await pool.fetchval(OWN, registry.PROJECTIONS_APPLICATION) == 5
    finally:
        stop.set()
        await running
    async with asyncio.timeout(5):  # closed with it (a backend leaves the view as it exits)
        while await pool.fetchval(OWN, registry.PROJECTIONS_APPLICATION):  # noqa: ASYNC110
            await asyncio.sleep(0.05)


OWN = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = $1
"""


async def test_a_runner_waiting_on_a_cancelled_read_reads_itself(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await append_counters(store, [1])
    first_read = asyncio.Event()

    class SlowFirstRead:  # the first read hangs until cancelled; the next ones go through
        async def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
            if not first_read.is_set():
                first_read.set()
                await asyncio.Event().wait()
            return await store.select_notifications(*args, **kwargs)

        async def held_back(self, *args: Any, **kwargs: Any) -> bool:
            return await store.held_back(*args, **kwargs)

    shared = SharedReads(cast("EventStore", SlowFirstRead()), new_mapper())
    async with pool.acquire() as one, pool.acquire() as other:
        reading = asyncio.create_task(shared.read(START, 10, one, fresh_since=0.0))
        await first_read.wait()
        joining = asyncio.create_task(shared.read(START, 10, other, fresh_since=0.0))
        await asyncio.sleep(0.01)  # it waits on the first read
        reading.cancel()
        page = await asyncio.wait_for(joining, 5)  # not cancelled with it: it read itself
    assert len(page.decoded.page) == 2
    assert reading.cancelled()
    assert shared.reads == 2
