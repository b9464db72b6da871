"""The runner: pages applied once, unknown topics skipped, failures visible, rebuild swaps."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

import pytest
from eventsourcing.persistence import StoredEvent

from projections import tracking
from projections.projection import HandlerError
from projections.rebuild import ensure_tables, rebuild
from projections.runner import ProjectionRunner, write_page
from service.repository import new_mapper
from tests.integration.projections.toys import TOYS, UPSERT, Counter, append_counters, totals

if TYPE_CHECKING:
    from collections.abc import Sequence

    import asyncpg

    from service.store import EventStore


async def test_events_become_rows_and_position_advances(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await ensure_tables(pool, TOYS)
    ids = await append_counters(store, [5, 7, 11])
    runner = ProjectionRunner(pool, store, TOYS, page_size=2)
    assert await runner.catch_up() == 6
    assert sorted(r[1] for r in await totals(pool)) == [5, 7, 11]
    assert {r[0] for r in await totals(pool)} == set(ids)
    assert await tracking.position(pool, "toys") == await store.max_notification_id()


async def test_replaying_an_applied_page_changes_nothing(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await ensure_tables(pool, TOYS)
    await append_counters(store, [3, 4])
    page = await store.select_notifications(None, 10)
    assert await write_page(pool, TOYS, page, tracking.START, new_mapper())
    before = await totals(pool)
    assert not await write_page(pool, TOYS, page, tracking.START, new_mapper())
    assert await totals(pool) == before
    assert [r[2] for r in before] == [2, 2]


async def test_unknown_topics_are_skipped_and_counted(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await ensure_tables(pool, TOYS)
    await append_counters(store, [1])
    await store.insert_events([StoredEvent(Counter().id, 1, "elsewhere:Unknown", b"\x80")])
    await append_counters(store, [2])
    await ProjectionRunner(pool, store, TOYS).catch_up()
    row = (await tracking.all_rows(pool))[0]
    assert (row["applied"], row["skipped"], row["error"]) == (4, 1, None)
    assert sorted(r[1] for r in await totals(pool)) == [1, 2]


async def test_a_failing_handler_stops_the_projection_with_a_visible_error(
    pool: asyncpg.Pool, store: EventStore, caplog: pytest.LogCaptureFixture
) -> None:
    await ensure_tables(pool, TOYS)
    await append_counters(store, [1])
    bad = Counter()
    bad.explode()
    await store.insert_events([new_mapper().to_stored_event(e) for e in bad.collect_events()])
    await append_counters(store, [2])
    runner = ProjectionRunner(pool, store, TOYS, page_size=100)
    with pytest.raises(HandlerError, match="Exploded"):
        await runner.catch_up()
    row = (await tracking.all_rows(pool))[0]
    assert "ValueError: boom" in row["error"]
    assert (row["tx_id"], row["notification_id"]) == (0, 0)  # the whole page rolled back
    assert await totals(pool) == []
    stop = asyncio.Event()
    with pytest.raises(HandlerError, match="Exploded"):  # the supervisor restarts it
        await asyncio.wait_for(runner.run(stop), 10)


async def test_rebuild_swaps_in_identical_tables(pool: asyncpg.Pool, store: EventStore) -> None:
    await ensure_tables(pool, TOYS)
    await append_counters(store, list(range(1, 30)))
    await ProjectionRunner(pool, store, TOYS, page_size=7).catch_up()
    live = await totals(pool)
    seen: list[tuple[int, int]] = []
    read = await rebuild(pool, store, TOYS, progress=lambda n, t: seen.append((n, t)), page_size=10)
    assert read == 58
    assert seen[-1] == (58, 58)
    assert await totals(pool) == live
    assert await tracking.position(pool, "toys") == await store.max_notification_id()
    schemas = await pool.fetchval(
        "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rebuild_%'"
    )
    assert schemas == 0


SUMMARY_DDL = TOYS.ddl + "CREATE TABLE toy_summary (total bigint NOT NULL);"


async def _toy_page(
    conn: asyncpg.Connection, events: Sequence[tuple[Any, Any]], *, settle: bool
) -> None:
    for e, n in events:
        if n.topic.endswith("Incremented"):
            await conn.execute(UPSERT, e.originator_id, e.amount)
    # Like the review queue: a page of nothing but creations changes no whole-table figure.
    if settle and any(n.topic.endswith("Incremented") for _, n in events):
        await _toy_settle(conn)


async def _toy_settle(conn: asyncpg.Connection) -> None:
    await conn.execute("DELETE FROM toy_summary")
    await conn.execute("INSERT INTO toy_summary SELECT coalesce(sum(total), 0) FROM toy_totals")


SET_BASED = dataclasses.replace(
    TOYS, name="toys_set", tables=("toy_totals", "toy_summary"), ddl=SUMMARY_DDL, handlers={},
    page_topics=frozenset(TOYS.handlers), apply_page=_toy_page, finish=_toy_settle,
)  # fmt: skip


async def test_whole_table_state_is_settled_when_the_runner_reaches_the_head(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await ensure_tables(pool, SET_BASED)
    await append_counters(store, [1, 2])  # 4 events: one full page, not settled
    runner = ProjectionRunner(pool, store, SET_BASED, page_size=4)
    assert await runner.step() == 4
    assert await pool.fetchval("SELECT total FROM toy_summary") is None  # a backlog: deferred
    # A runner that stops here (a crash, a restart) leaves nothing in the tables to say so:
    # the next one settles when it reaches the head, even with nothing new to apply.
    runner = ProjectionRunner(pool, store, SET_BASED, page_size=4)
    assert await runner.step() == 0  # the head: the empty read settles what was deferred
    assert await pool.fetchval("SELECT total FROM toy_summary") == 3
    await append_counters(store, [4, 5])
    bare = Counter()  # a creation alone: the page handler sees nothing worth settling
    await store.insert_events([new_mapper().to_stored_event(e) for e in bare.collect_events()])
    assert await runner.step() == 4
    assert await runner.step() == 1  # short page of a creation: the runner settles the backlog
    assert await pool.fetchval("SELECT total FROM toy_summary") == 12
    # The same tables as a rebuild (which settles once, at its swap).
    live = await totals(pool)
    await rebuild(pool, store, SET_BASED)
    assert await totals(pool) == live
    assert await pool.fetchval("SELECT total FROM toy_summary") == 12
