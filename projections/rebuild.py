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

A set-based projection fills the scratch schema without settling each page (no scores or ranks
recomputed per page); its deferred indexes and its ``finish`` run once the scratch tables are
full, before the swap takes its locks, and ``finish`` again in the swap for the last events. The swap waits at most
``SWAP_LOCK_TIMEOUT`` for its locks (a long reader of the live tables holds one); when it cannot
get them it rolls back and tries again after a pause, from the scratch tables as built so far,
never from zero.

The live runner rebuilds only when the code's version is *newer* than the stored one: during a
rolling deploy an older process meeting newer tables stands by instead of rebuilding them back
(:class:`NewerTablesError`), so two versions never take turns rebuilding.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

import asyncpg

from projections import tracking
from projections.projection import DecodedPage, Projection, SwapRefusedError, apply_events
from service.repository import new_mapper
from service.store import START, Position

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from eventsourcing.persistence import Mapper

    from service.store import EventStore

logger = logging.getLogger(__name__)

LOCK_REBUILD = "SELECT pg_advisory_lock(hashtext($1))"
UNLOCK_REBUILD = "SELECT pg_advisory_unlock(hashtext($1))"
LOCK_DDL = "SELECT pg_advisory_xact_lock(hashtext($1))"
#: How long one swap attempt waits for a lock before it rolls back and tries again.
SWAP_LOCK_TIMEOUT: Final = "2s"
SWAP_ATTEMPTS: Final = 30
#: Events per page of a rebuild.
PAGE_SIZE: Final = 2000
#: Errors a swap attempt may meet because of others' locks: retried, the scratch tables kept.
SWAP_RETRIED: Final = (
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.DeadlockDetectedError,
)


class RebuildError(RuntimeError):
    """Raised when a rebuild cannot be carried out (unknown projection, failing handler)."""


class NewerTablesError(RuntimeError):
    """Raised when the stored tables were made by a newer version of a projection than this code.

    An older process in a rolling deploy: it must not rebuild them back, nor apply its handlers
    to them; it stands by until it is replaced.
    """

    def __init__(self, name: str, stored: int, code: int) -> None:
        self.name, self.stored, self.code = name, stored, code
        super().__init__(
            f"projection {name}: tables are version {stored}, newer than this code's {code}; "
            "standing by (upgrade this process)"
        )


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
        if projection.deferred_ddl:
            await conn.execute(projection.deferred_ddl)
        await tracking.reset(conn, projection.name, projection.version)


async def ensure_current(pool: asyncpg.Pool, store: EventStore, projection: Projection) -> None:
    """Create the tables if missing; rebuild them if they were made by an older version.

    Raises :class:`NewerTablesError` when they were made by a newer one.
    """
    await ensure_tables(pool, projection)
    stored = await tracking.version(pool, projection.name)
    if stored is not None and stored > projection.version:
        raise NewerTablesError(projection.name, stored, projection.version)
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
    page_size: int = PAGE_SIZE,
) -> int:
    """Rebuild ``projection`` from the start of the log and swap it in; return events read.

    ``progress(read, total)`` is called after every page; ``total`` is the log's size when the
    rebuild started (the log may grow meanwhile).
    """
    return await rebuild_many(pool, store, [projection], progress=progress, page_size=page_size)


async def rebuild_many(
    pool: asyncpg.Pool,
    store: EventStore,
    projections: Sequence[Projection],
    *,
    progress: Callable[[int, int], None] | None = None,
    page_size: int = PAGE_SIZE,
) -> int:
    """Rebuild several projections from one read of the log (each page read and decoded once,
    then applied to each scratch schema in one transaction), then swap each in; return the
    events read. A refused swap (the ledger's guard) leaves the others swapped and is raised
    once they are.
    """
    mapper = new_mapper()
    ordered = sorted(projections, key=lambda p: p.name)  # one lock order for every rebuild
    builds = {p.name: _Build() for p in ordered}
    async with pool.acquire() as lock_conn:
        for projection in ordered:
            await lock_conn.execute(LOCK_REBUILD, f"rebuild:{projection.name}")
        try:
            for projection in ordered:
                await _create_scratch(pool, projection)
            total = await store.count_after(None)
            await _build(pool, store, ordered, builds, mapper, page_size, progress, total)
            refused: SwapRefusedError | None = None
            for projection in ordered:
                await _prepare_swap(pool, projection)
                try:
                    await _swap(pool, store, projection, builds[projection.name], mapper, page_size)
                except SwapRefusedError as error:
                    if projection.refused is not None:
                        await projection.refused(pool, error)
                    refused = refused or error
            if refused is not None:
                raise refused
        finally:
            for projection in reversed(ordered):
                await lock_conn.execute(UNLOCK_REBUILD, f"rebuild:{projection.name}")
    read = max(b.read for b in builds.values())
    logger.info("projections %s: rebuilt from %d events", [p.name for p in ordered], read)
    return read


async def _create_scratch(pool: asyncpg.Pool, projection: Projection) -> None:
    schema = scratch_schema(projection)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
        await conn.execute(projection.ddl)


async def _build(
    pool: asyncpg.Pool,
    store: EventStore,
    projections: Sequence[Projection],
    builds: dict[str, _Build],
    mapper: Mapper[Any],
    page_size: int,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> None:
    """Apply the log into the scratch schemas page by page, as a pipeline.

    Each page is read once (the next one is read meanwhile) and decoded once for every
    projection; each projection applies its pages in order on its own connection, one
    transaction per page, while the next page is read, decoded and applied to the others: this
    process folds while the server writes. At most two pages are in flight.
    """
    lanes: dict[str, asyncio.Future[None]] = {}
    reading = asyncio.ensure_future(store.select_notifications(START, page_size))
    read = 0
    try:
        while page := await reading:
            reading = asyncio.ensure_future(
                store.select_notifications(page[-1].position, page_size)
            )
            decoded, before = DecodedPage(page, mapper), list(lanes.values())
            for projection in projections:
                lanes[projection.name] = asyncio.ensure_future(
                    _lane_page(pool, projection, builds[projection.name], decoded,
                               lanes.get(projection.name))
                )  # fmt: skip
            await asyncio.gather(*before)  # the previous page is in every scratch schema
            if progress is not None and read:
                progress(read, total)
            read += len(page)
        await asyncio.gather(*lanes.values())
        if progress is not None:
            progress(read, total)
    finally:
        tasks: list[asyncio.Future[Any]] = [reading, *lanes.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _lane_page(
    pool: asyncpg.Pool,
    projection: Projection,
    build: _Build,
    decoded: DecodedPage,
    previous: asyncio.Future[None] | None,
) -> None:
    """Apply one page into one scratch schema, once the page before it is there."""
    if previous is not None:
        await previous
    page = decoded.page
    async with pool.acquire() as conn, conn.transaction():
        # A crash loses nothing that matters: a rebuild starts from zero. The swap commits
        # synchronously, and only it makes the scratch tables count.
        await conn.execute("SET LOCAL synchronous_commit = off")
        await conn.execute(f'SET LOCAL search_path TO "{scratch_schema(projection)}", public')
        build.skipped += await apply_events(
            conn, projection, page, decoded.mapper, settle=False, decoded=decoded
        )
    build.position = page[-1].position
    build.read += len(page)


async def _prepare_swap(pool: asyncpg.Pool, projection: Projection) -> None:
    """Build the deferred indexes and the derived state on the full scratch tables before the
    swap takes its locks, so that the swap itself only applies the last events.

    No statement timeout here nor in the swap: over a million events the first settle of the
    queue rewrites every row and took longer than the pool's 15 s (the full benchmark's
    rebuild failed there); these statements work on the scratch tables only.
    """
    if not projection.deferred_ddl and projection.finish is None:
        return
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL statement_timeout = 0")
        await conn.execute(f'SET LOCAL search_path TO "{scratch_schema(projection)}", public')
        if projection.deferred_ddl:
            await conn.execute(projection.deferred_ddl)
        if projection.finish is not None:
            await projection.finish(conn)


async def _swap(
    pool: asyncpg.Pool,
    store: EventStore,
    projection: Projection,
    build: _Build,
    mapper: Mapper[Any],
    page_size: int,
) -> None:
    """Swap the scratch tables in, retrying (with what is built kept) while others hold locks."""
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        trial = replace(build)
        try:
            await _swap_once(pool, store, projection, trial, mapper, page_size)
        except SWAP_RETRIED as error:
            if attempt == SWAP_ATTEMPTS:
                raise
            pause = min(0.1 * 2**attempt, 5.0)
            logger.warning(
                "projection %s: swap attempt %d could not take its locks (%s); again in %.1f s",
                projection.name, attempt, type(error).__name__, pause,
            )  # fmt: skip
            await asyncio.sleep(pause)
            continue
        build.position, build.read, build.skipped = trial.position, trial.read, trial.skipped
        return


async def _swap_once(
    pool: asyncpg.Pool,
    store: EventStore,
    projection: Projection,
    build: _Build,
    mapper: Mapper[Any],
    page_size: int,
) -> None:
    schema = scratch_schema(projection)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
        await conn.execute("SET LOCAL statement_timeout = 0")  # see _prepare_swap
        await conn.execute(LOCK_DDL, f"ddl:{projection.name}")
        await tracking.lock(conn, projection.name)
        await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
        while page := await store.select_notifications(build.position, page_size, conn=conn):
            build.skipped += await apply_events(conn, projection, page, mapper, settle=False)
            build.position, build.read = page[-1].position, build.read + len(page)
        if projection.finish is not None:  # again, for the events that came in meanwhile
            await projection.finish(conn)
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
