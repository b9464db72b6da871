"""One error policy (service.errors): each class provoked for real on PostgreSQL, then obeyed.

Every error below is raised by the server or the driver, not constructed by the test, so a
change of asyncpg's exception classes or of a SQLSTATE shows up here.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from eventsourcing.persistence import StoredEvent

from projections import tracking
from projections.registry import select
from projections.runner import ProjectionRunner
from service import commands
from service.errors import ErrorClass, Unavailable, classify, unavailable
from service.store import ConcurrencyError, EventStore

if TYPE_CHECKING:
    pass


def stored_event(oid: uuid.UUID, version: int) -> StoredEvent:
    return StoredEvent(oid, version, "tests:Nothing", f"{oid}:{version}".encode())


def as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]  # empty on a Unix socket (host= in the query)
    return urlunsplit(parts._replace(netloc=f"{role}:pw@{host}"))


async def raised(coroutine: object) -> BaseException:
    """The exception ``coroutine`` raises (the test fails if it raises none)."""
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the class is what is under test
        await coroutine  # type: ignore[misc]
    return caught.value


async def test_a_serialization_failure_is_transient(pool: asyncpg.Pool) -> None:
    await pool.execute("CREATE TABLE counter (n int); INSERT INTO counter VALUES (0)")
    async with pool.acquire() as a, pool.acquire() as b:
        ta = a.transaction(isolation="serializable")
        tb = b.transaction(isolation="serializable")
        await ta.start()
        await tb.start()
        await a.fetchval("SELECT n FROM counter")
        await b.fetchval("SELECT n FROM counter")
        await a.execute("UPDATE counter SET n = n + 1")
        await ta.commit()
        error = await raised(b.execute("UPDATE counter SET n = n + 1"))
        await tb.rollback()
    assert isinstance(error, asyncpg.SerializationError)
    assert classify(error) is ErrorClass.TRANSIENT
    assert classify(error).retryable


async def test_a_read_only_server_is_unavailable_not_permanent(pool: asyncpg.Pool) -> None:
    """What a write meets on a standby during a failover: SQLSTATE 25006."""
    async with pool.acquire() as conn:
        await conn.execute("SET default_transaction_read_only = on")
        error = await raised(conn.execute("CREATE TABLE t (x int)"))
        await conn.execute("RESET default_transaction_read_only")
    assert isinstance(error, asyncpg.ReadOnlySQLTransactionError)
    assert classify(error) is ErrorClass.UNAVAILABLE
    assert not unavailable(error).outcome_unknown  # refused: nothing was written


async def test_too_many_connections_is_unavailable(pool: asyncpg.Pool, database_url: str) -> None:
    role = f"r_{uuid.uuid4().hex[:8]}"
    await pool.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw' CONNECTION LIMIT 1")
    url = as_role(database_url, role)
    first = await asyncpg.connect(url)
    try:
        error = await raised(asyncpg.connect(url))
    finally:
        await first.close()
        await pool.execute(f"DROP ROLE {role}")
    assert isinstance(error, asyncpg.TooManyConnectionsError)
    assert classify(error) is ErrorClass.UNAVAILABLE


async def test_a_terminated_backend_and_a_refused_port_are_unavailable(
    pool: asyncpg.Pool, database_url: str
) -> None:
    conn = await asyncpg.connect(database_url)
    pid = conn.get_server_pid()
    await pool.execute("SELECT pg_terminate_backend($1)", pid)
    error = await raised(conn.fetchval("SELECT 1"))
    assert classify(error) is ErrorClass.UNAVAILABLE
    assert unavailable(error).outcome_unknown  # the connection went: a commit may have happened
    refused = await raised(asyncpg.connect("postgresql://nobody@127.0.0.1:9/x", timeout=5))
    assert classify(refused) is ErrorClass.UNAVAILABLE
    assert classify(TimeoutError()) is ErrorClass.UNAVAILABLE


async def test_a_database_closed_to_connections_is_unavailable(
    pool: asyncpg.Pool, database_url: str, admin_url: str
) -> None:
    name = await pool.fetchval("SELECT current_database()")
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        error = await raised(asyncpg.connect(database_url))
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
    assert classify(error) is ErrorClass.UNAVAILABLE


async def test_a_lock_timeout_is_unavailable_and_known_not_to_have_happened(
    pool: asyncpg.Pool,
) -> None:
    await pool.execute("CREATE TABLE held (x int)")
    async with pool.acquire() as holder, pool.acquire() as waiter, holder.transaction():
        await holder.execute("LOCK TABLE held")
        await waiter.execute("SET lock_timeout = '50ms'")
        error = await raised(waiter.execute("INSERT INTO held VALUES (1)"))
    assert isinstance(error, asyncpg.LockNotAvailableError)
    assert classify(error) is ErrorClass.UNAVAILABLE
    assert not unavailable(error).outcome_unknown


async def test_unique_violations_and_taken_versions_are_conflicts(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await pool.execute("CREATE TABLE once (x int PRIMARY KEY); INSERT INTO once VALUES (1)")
    error = await raised(pool.execute("INSERT INTO once VALUES (1)"))
    assert isinstance(error, asyncpg.UniqueViolationError)
    assert classify(error) is ErrorClass.CONFLICT
    oid = uuid.uuid4()
    await store.insert_events([stored_event(oid, 1)])
    taken = await raised(store.insert_events([stored_event(oid, 1)]))
    assert isinstance(taken, ConcurrencyError)
    assert classify(taken) is ErrorClass.CONFLICT
    assert not classify(taken).retryable


async def test_bugs_and_bad_data_are_permanent(pool: asyncpg.Pool) -> None:
    missing = await raised(pool.execute("SELECT * FROM no_such_table"))
    assert classify(missing) is ErrorClass.PERMANENT
    division = await raised(pool.fetchval("SELECT 1 / 0"))
    assert classify(division) is ErrorClass.PERMANENT
    assert classify(ValueError("bad")) is ErrorClass.PERMANENT
    assert classify(FileNotFoundError(2, "no such file")) is ErrorClass.PERMANENT


async def test_a_command_retries_a_rollback_and_reports_a_read_only_server(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await pool.execute("CREATE TABLE counter (n int); INSERT INTO counter VALUES (0)")
    attempts = 0

    async def decide(unit: commands.Unit) -> int:
        nonlocal attempts
        attempts += 1
        if attempts == 1:  # a real deadlock-free rollback: a serialization failure
            await unit.conn.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
            await unit.conn.fetchval("SELECT n FROM counter")
            await pool.execute("UPDATE counter SET n = n + 1")
            await unit.conn.execute("UPDATE counter SET n = n + 1")
        return attempts

    assert await commands.execute(store, decide) == 2

    async def write_on_standby(unit: commands.Unit) -> None:
        await unit.conn.execute("SET TRANSACTION READ ONLY")
        await unit.conn.execute("UPDATE counter SET n = 0")

    with pytest.raises(Unavailable) as caught:
        await commands.execute(store, write_on_standby)
    assert not caught.value.outcome_unknown


async def test_a_projection_survives_a_read_only_failover(
    pool: asyncpg.Pool, store: EventStore, admin_url: str
) -> None:
    """Before the policy, SQLSTATE 25006 stopped a projection for good."""
    name = await pool.fetchval("SELECT current_database()")
    (projection,) = select(["statistics"])
    runner = ProjectionRunner(pool, store, projection, standby_interval=0.05, poll_interval=0.05)
    await pool.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    await pool.expire_connections()
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    try:
        await asyncio.sleep(0.5)  # the runner meets the read-only server and keeps retrying
        assert not running.done()
        conn = await asyncpg.connect(admin_url)  # the failover ends: writes are taken again
        try:
            await conn.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        finally:
            await conn.close()
        await pool.expire_connections()
        await store.insert_events([stored_event(uuid.uuid4(), 1)])
        async with asyncio.timeout(15):
            while (await tracking.position(pool, projection.name)).notification_id == 0:  # noqa: ASYNC110 - polls the database
                await asyncio.sleep(0.05)
        rows = await tracking.all_rows(pool)
        assert all(r["error"] is None for r in rows)
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
