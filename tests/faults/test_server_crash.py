"""PostgreSQL killed (``pg_ctl stop -m immediate``) under write load, then restarted."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from service import db
from service.store import EventStore
from tests.faults.support import Acknowledged, assert_invariants, submit_keyed
from tests.integration.service.support import open_programme

if TYPE_CHECKING:
    from service.settings import Settings
    from tests.faults.cluster import Cluster


async def _crash_under_load(
    settings: Settings, cluster: Cluster, crashes: int, run_s: float
) -> None:
    pool = await db.create_pool(replace(settings, pool_min_size=0), cluster.url)
    async with pool.acquire() as conn:
        await db.migrate(conn)
    store, acked, stop = EventStore(pool), Acknowledged(), asyncio.Event()
    prog = await open_programme(store)

    async def writer(n: int) -> None:
        i = 0
        while not stop.is_set():
            await submit_keyed(store, prog, f"w{n}-{i}", acked, deadline_s=60)
            i += 1

    writers = [asyncio.create_task(writer(n)) for n in range(8)]
    for _ in range(crashes):
        await asyncio.sleep(run_s / (crashes + 1))
        before = len(acked.by_key)
        await asyncio.to_thread(cluster.stop, "immediate")
        await asyncio.sleep(0.5)
        await asyncio.to_thread(cluster.start)
        assert len(acked.by_key) >= before
    await asyncio.sleep(run_s / (crashes + 1))
    stop.set()
    await asyncio.gather(*writers)
    try:
        assert acked.unavailable > 0, "no write felt the crash"
        assert len(acked.by_key) > 20
        await assert_invariants(pool, store, acked=acked)
        submitted = await pool.fetchval(
            "SELECT count(*) FROM events WHERE topic = 'grants.application:Submitted'"
        )
        assert submitted == len(acked.by_key)
    finally:
        await store.close()
        await pool.close()


async def test_crash_and_restart_keeps_every_acknowledged_write(
    settings: Settings, cluster: Cluster
) -> None:
    started = time.monotonic()
    await _crash_under_load(settings, cluster, crashes=1, run_s=3)
    assert time.monotonic() - started < 60


@pytest.mark.slow
async def test_repeated_crashes_keep_every_acknowledged_write(
    settings: Settings, cluster: Cluster
) -> None:
    await _crash_under_load(settings, cluster, crashes=5, run_s=40)
