"""A pooled connection is reset only when it may hold session state, and then fully.

Each test takes the pool's one connection twice: what the first holder left behind must be
gone for the second, and a connection that left nothing is handed back without the reset
statement (the server's ``pg_stat_activity`` shows a backend's last statement).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from service import db, pooled

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import asyncpg

    from service.settings import Settings

LAST_QUERY = "SELECT query FROM pg_stat_activity WHERE pid = $1"


@pytest.fixture
async def one(settings: Settings, database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool of exactly one connection, so the second acquire gets the first's connection."""
    import dataclasses

    pool = await db.create_pool(
        dataclasses.replace(settings, pool_min_size=1, pool_max_size=1), database_url
    )
    yield pool
    await pool.close()


async def last_query(database_url: str, pid: int) -> str:
    import asyncpg

    observer = await asyncpg.connect(database_url)
    try:
        return str(await observer.fetchval(LAST_QUERY, pid))
    finally:
        await observer.close()


async def test_a_connection_that_left_nothing_goes_back_without_a_reset(
    one: asyncpg.Pool, database_url: str
) -> None:
    async with one.acquire() as conn:
        pid = conn.get_server_pid()
        await conn.fetchval("SELECT 41 + 1")
        async with conn.transaction():
            await conn.execute("SET LOCAL statement_timeout = 1234")
            await conn.fetchval("SELECT pg_advisory_xact_lock(7)")
    assert await last_query(database_url, pid) == "COMMIT;"


async def test_a_session_setting_is_reset_before_the_next_holder(one: asyncpg.Pool) -> None:
    async with one.acquire() as conn:
        default = await conn.fetchval("SHOW work_mem")
        await conn.execute("SET work_mem = '7MB'")
    async with one.acquire() as conn:
        assert await conn.fetchval("SHOW work_mem") == default
        await conn.fetchval("SELECT set_config('work_mem', '9MB', false)")
    async with one.acquire() as conn:
        assert await conn.fetchval("SHOW work_mem") == default


async def test_a_session_advisory_lock_is_released_with_the_connection(
    one: asyncpg.Pool, database_url: str
) -> None:
    import asyncpg

    async with one.acquire() as conn:
        assert await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", "leader")
    other = await asyncpg.connect(database_url)
    try:
        assert await other.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", "leader")
    finally:
        await other.close()


@pytest.mark.filterwarnings("ignore:.*active notification listener")
async def test_listening_ends_with_the_connection(one: asyncpg.Pool) -> None:
    async with one.acquire() as conn:
        await conn.add_listener("chan", lambda *_: None)
    async with one.acquire() as conn:
        assert await conn.fetch("SELECT pg_listening_channels()") == []


async def test_an_open_transaction_is_rolled_back(one: asyncpg.Pool) -> None:
    async with one.acquire() as conn:
        await conn.execute("CREATE TABLE kept (x int)")
        tx = conn.transaction()
        await tx.start()
        await conn.execute("INSERT INTO kept VALUES (1)")
    async with one.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM kept") == 0


@pytest.mark.parametrize(
    ("query", "leaves"),
    [
        ("SELECT 1", False),
        ("UPDATE t SET x = 1", False),
        ("SET LOCAL search_path TO s, public", False),
        ("SELECT pg_advisory_xact_lock(1)", False),
        ("SELECT pg_notify('chan', '')", False),
        ("UNLISTEN chan", False),
        ("set search_path to s", True),
        ("SELECT 1; SET statement_timeout = 0", True),
        ("RESET work_mem", True),
        ("SELECT pg_try_advisory_lock(hashtext($1))", True),
        ("SELECT pg_advisory_lock_shared(1)", True),
        ('LISTEN "chan"', True),
        ("SELECT set_config('x.y', '1', true)", True),
        ("CREATE TEMP TABLE scratch (x int)", True),
        ("DECLARE c CURSOR WITH HOLD FOR SELECT 1", True),
        ("PREPARE p AS SELECT 1", True),
    ],
)
def test_statements_that_may_leave_session_state_are_recognised(query: str, leaves: bool) -> None:
    assert pooled.leaves_state(query) is leaves
