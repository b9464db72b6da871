"""Connections cut under the app: terminated backends, and a commit whose answer never arrives."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from service import db
from service.store import EventStore
from tests.faults.proxy import FaultProxy
from tests.faults.support import Acknowledged, assert_invariants, submit_keyed

if TYPE_CHECKING:
    import asyncpg

    from service.settings import Settings
    from tests.integration.service.support import Programme

TERMINATE_APP = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = 'grants' AND pid <> pg_backend_pid()
"""
CLIENTS = 8
MIN_CUTS, MAX_SECONDS = 3, 20  # keep writing until three cuts have hit running commands


async def test_terminated_connections_lose_and_duplicate_nothing(
    pool: asyncpg.Pool, store: EventStore, programme: Programme, database_url: str
) -> None:
    acked, stop = Acknowledged(), asyncio.Event()
    killer = await _admin(database_url)
    deadline = time.monotonic() + MAX_SECONDS

    async def terminate_every_second() -> int:
        kills = rounds = 0
        while not stop.is_set():
            await asyncio.sleep(0.3)  # the first cut early, then about every second
            kills += await killer.fetchval(TERMINATE_APP)
            rounds += 1
            if (rounds >= MIN_CUTS and acked.unavailable) or time.monotonic() > deadline:
                stop.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.7)
        return kills

    async def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            await submit_keyed(store, programme, f"c{n}-{i}", acked)
            # A client that repeats itself (a double click) must not create a second file.
            if i % 4 == 0:
                await submit_keyed(store, programme, f"c{n}-{i}", acked)
            i += 1

    cutter = asyncio.create_task(terminate_every_second())
    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    kills = await cutter
    await killer.close()

    assert kills > 0, "the test never cut a connection"
    assert acked.unavailable > 0, "no submission felt a cut connection"
    applications = await pool.fetchval(
        "SELECT count(DISTINCT originator_id) FROM events "
        "WHERE topic = 'grants.application:Submitted'"
    )
    assert applications == len(acked.by_key)
    await assert_invariants(pool, store, acked=acked)


async def test_ambiguous_commit_retried_with_its_key_returns_the_same_application(
    settings: Settings, pool: asyncpg.Pool, store: EventStore, programme: Programme,
    database_url: str,
) -> None:  # fmt: skip
    async with FaultProxy(database_url) as proxy:
        app_pool = await db.create_pool(
            replace(settings, pool_min_size=1, pool_max_size=2), proxy.database_url
        )
        app_store = EventStore(app_pool)
        try:
            acked = Acknowledged()
            proxy.set_mode("drop-after-commit")
            app_id = await submit_keyed(app_store, programme, "ambiguous-1", acked)
            assert proxy.commits_dropped == 1
            assert acked.unavailable >= 1, "the first attempt should have lost its answer"
            again = await submit_keyed(app_store, programme, "ambiguous-1", Acknowledged())
        finally:
            await app_store.close()
            app_pool.terminate()  # no graceful goodbye through a proxy that cuts connections
    assert again == app_id
    submitted = await pool.fetchval(
        "SELECT count(*) FROM events WHERE topic = 'grants.application:Submitted'"
    )
    assert submitted == 1
    await assert_invariants(pool, store, acked=acked)


async def _admin(url: str) -> asyncpg.Connection:
    import asyncpg

    return await asyncpg.connect(url, server_settings={"application_name": "fault-injector"})
