"""Creating a projection's tables, and rebuilding them from zero without readers noticing.

A rebuild runs the projection's DDL and handlers with ``search_path`` set to a scratch schema
``rebuild_<name>`` (the handlers use unqualified table names), one transaction per page. When it
has caught up, one transaction locks the tracking row (so the live runner's pages wait), applies
the last events, drops the live tables, moves the new ones into ``public`` with
``ALTER TABLE ... SET SCHEMA`` and resets the tracking row to the rebuilt position. Readers see
the old tables until that commit, then the new ones; never a half-built table.

The live runner can keep serving the old tables during a rebuild: the swap is serialised with its
pages by the tracking row's lock, and afterwards it continues from the rebuilt position. Two
rebuilds of one projection exclude each other with the advisory lock ``rebuild:<name>``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from projections import tracking
from projections.projection import Projection, SwapRefusedError, apply_events
from service.repository import new_mapper
from service.store import START, Position

if TYPE_CHECKING:
    from collections.abc import Callable

    import asyncpg
    from eventsourcing.persistence import Mapper

    from service.store import EventStore

logger = logging.getLogger(__name__)

LOCK_REBUILD = "SELECT pg_advisory_lock(hashtext($1))"
UNLOCK_REBUILD = "SELECT pg_advisory_unlock(hashtext($1))"
LOCK_DDL = "SELECT pg_advisory_xact_lock(hashtext($1))"


class RebuildError(RuntimeError):
    """Raised when a rebuild cannot be carried out (unknown projection, failing handler)."""


def scratch_schema(projection: Projection) -> str:
    """The schema a rebuild builds into."""
    return f"rebuild_{projection.name}"


async def ensure_tables(pool: asyncpg.Pool, projection: Projection) -> None:
    """Create the projection's tables and tracking row if it has none yet (idempotent)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(LOCK_DDL, f"ddl:{projection.name}")
        if await tracking.version(conn, projection.name) is not None:
            return
        await conn.execute("SET LOCAL search_path TO public")
        await _drop_tables(conn, "public", projection)
        await conn.execute(projection.ddl)
        await tracking.reset(conn, projection.name, projection.version)


async def ensure_current(pool: asyncpg.Pool, store: EventStore, projection: Projection) -> None:
    """Create the tables if missing; rebuild them if they were made by another version."""
    await ensure_tables(pool, projection)
    stored = await tracking.version(pool, projection.name)
    if stored != projection.version:
        logger.info(
            "projection %s: tables are version %s, code is %s; rebuilding",
            projection.name,
            stored,
            projection.version,
        )
        try:
            await rebuild(pool, store, projection)
        except SwapRefusedError as error:
            # the old tables stay served (and reported by the projection's ``refused`` hook):
            # what was published must not be rewritten by a code change either
            logger.error(
                "projection %s: rebuild refused, old tables kept: %s", projection.name, error
            )


@dataclass
class _Build:
    position: Position = START
    read: int = 0
    skipped: int = 0


async def rebuild(
    pool: asyncpg.Pool,
    store: EventStore,
    projection: Projection,
    *,
    progress: Callable[[int, int], None] | None = None,
    page_size: int = 1000,
) -> int:
    """Rebuild ``projection`` from the start of the log and swap it in; return events read.

    ``progress(read, total)`` is called after every page; ``total`` is the log's size when the
    rebuild started (the log may grow meanwhile).
    """
    mapper = new_mapper()
    async with pool.acquire() as lock_conn:
        await lock_conn.execute(LOCK_REBUILD, f"rebuild:{projection.name}")
        try:
            await _create_scratch(pool, projection)
            total = await store.count_after(None)
            build = _Build()
            while await _build_page(pool, store, projection, build, mapper, page_size):
                if progress is not None:
                    progress(build.read, total)
            try:
                await _swap(pool, store, projection, build, mapper, page_size)
            except SwapRefusedError as error:
                if projection.refused is not None:
                    await projection.refused(pool, error)
                raise
        finally:
            await lock_conn.execute(UNLOCK_REBUILD, f"rebuild:{projection.name}")
    logger.info("projection %s: rebuilt from %d events", projection.name, build.read)
    return build.read


async def _create_scratch(pool: asyncpg.Pool, projection: Projection) -> None:
    schema = scratch_schema(projection)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
        await conn.execute(projection.ddl)


async def _build_page(
    pool: asyncpg.Pool,
    store: EventStore,
    projection: Projection,
    build: _Build,
    mapper: Mapper[Any],
    page_size: int,
) -> bool:
    """Apply one page into the scratch schema; False when the log is exhausted."""
    page = await store.select_notifications(build.position, page_size)
    if not page:
        return False
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f'SET LOCAL search_path TO "{scratch_schema(projection)}", public')
        build.skipped += await apply_events(conn, projection, page, mapper)
    build.position = page[-1].position
    build.read += len(page)
    return True


async def _swap(
    pool: asyncpg.Pool,
    store: EventStore,
    projection: Projection,
    build: _Build,
    mapper: Mapper[Any],
    page_size: int,
) -> None:
    schema = scratch_schema(projection)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(LOCK_DDL, f"ddl:{projection.name}")
        await tracking.lock(conn, projection.name)
        await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
        while page := await store.select_notifications(build.position, page_size, conn=conn):
            build.skipped += await apply_events(conn, projection, page, mapper)
            build.position, build.read = page[-1].position, build.read + len(page)
        if projection.guard is not None:
            await projection.guard(conn)
        await _drop_tables(conn, "public", projection)
        for table in projection.tables:
            await conn.execute(f'ALTER TABLE "{schema}"."{table}" SET SCHEMA public')
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.execute("SET LOCAL search_path TO public")
        applied = build.read - build.skipped
        await tracking.reset(
            conn, projection.name, projection.version, build.position, applied, build.skipped
        )


async def _drop_tables(conn: asyncpg.Connection, schema: str, projection: Projection) -> None:
    for table in projection.tables:
        await conn.execute(f'DROP TABLE IF EXISTS "{schema}"."{table}" CASCADE')
