"""Latency, a silent cut (blackhole) and resets between the app and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from projections import envelopes
from projections.registry import ensure_all
from projections.runner import ProjectionRunner
from service import db
from service.errors import Unavailable
from service.store import EventStore
from tests.faults.proxy import FaultProxy
from tests.faults.support import (
    Acknowledged,
    assert_invariants,
    submit_keyed,
    until_caught_up,
)
from tests.integration.service.support import open_programme, submit

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import asyncpg

    from service.settings import Settings


ONLY = {envelopes.PROJECTION.name}


@pytest.fixture
async def proxied(
    settings: Settings, database_url: str
) -> AsyncIterator[tuple[FaultProxy, EventStore]]:
    """A pool and store that reach the test database only through a fault proxy."""
    async with FaultProxy(database_url) as proxy:
        short = replace(settings, statement_timeout_ms=1_000, pool_max_size=4)
        app_pool = await db.create_pool(short, proxy.database_url)
        store = EventStore(app_pool)
        yield proxy, store
        await store.close()
        app_pool.terminate()


async def _bounded(coro: object, seconds: float) -> BaseException | None:
    """Run ``coro``; it must end (either way) within ``seconds``: nothing may hang."""
    try:
        await asyncio.wait_for(coro, seconds)  # type: ignore[arg-type]
    except TimeoutError as error:
        raise AssertionError(f"a call hung for more than {seconds} s") from error
    except Exception as error:
        return error
    return None


async def test_calls_finish_or_fail_within_their_timeouts(
    pool: asyncpg.Pool, store: EventStore, proxied: tuple[FaultProxy, EventStore]
) -> None:
    proxy, app_store = proxied
    prog = await open_programme(store)

    proxy.set_mode("latency", latency=0.02)
    assert await _bounded(submit(app_store, prog), 5) is None

    proxy.set_mode("blackhole")
    started = time.monotonic()
    errors = await asyncio.gather(*(_bounded(submit(app_store, prog), 6) for _ in range(6)))
    assert all(isinstance(e, Unavailable) for e in errors), errors
    assert time.monotonic() - started < 5  # statement 1 s + 1 s margin, pool waits 1 s

    proxy.set_mode("reset")
    errors = await asyncio.gather(*(_bounded(submit(app_store, prog), 4) for _ in range(4)))
    assert all(isinstance(e, Unavailable) for e in errors), errors

    proxy.set_mode("pass")
    acked = Acknowledged()
    await _bounded(submit_keyed(app_store, prog, "healed", acked, deadline_s=5), 8)
    assert "healed" in acked.by_key
    await assert_invariants(pool, store, acked=acked)


async def test_projection_runner_resumes_by_itself_when_the_path_heals(
    pool: asyncpg.Pool, store: EventStore, proxied: tuple[FaultProxy, EventStore]
) -> None:
    proxy, app_store = proxied
    await ensure_all(pool)
    runner = ProjectionRunner(
        app_store.pool, app_store, envelopes.PROJECTION, standby_interval=0.2, poll_interval=0.2
    )
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        prog = await open_programme(store)
        await until_caught_up(pool, store, ONLY, within=10)
        for mode in ("reset", "blackhole", "reset"):
            proxy.set_mode(mode)
            await submit(store, prog)  # the log moves on while the runner cannot see it
            await asyncio.sleep(1.5)
            proxy.set_mode("pass")
            await until_caught_up(pool, store, ONLY, within=15)
        assert not task.done(), "the runner gave up instead of retrying"
    finally:
        stop.set()
        proxy.set_mode("pass")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
    await assert_invariants(pool, store)
