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

A set-based projection with a resident handler (:attr:`Projection.resident`: the review queue
and the ledger) keeps its rows in memory from page to page instead of reading them back, and
writes the rows new to the scratch tables with binary ``COPY`` on a connection its lane holds
for the whole build; the swap, which may be retried, applies its last events with the
projection's own page handler, reading the scratch tables.

A set-based projection fills the scratch schema without settling each page (no scores or ranks
recomputed per page); its deferred indexes and its ``finish`` run once the scratch tables are
full, before the swap takes its locks, and ``finish`` again in the swap if events came in
meanwhile (the queue's settle reads every file: 0.2 s at 200,000 events). The swap waits at most
``SWAP_LOCK_TIMEOUT`` for its locks (a long reader of the live tables holds one); when it cannot
get them it rolls back and tries again after a pause, from the scratch tables as built so far,
never from zero.

The live runner rebuilds only when the code's version is *newer* than the stored one: during a
rolling deploy an older process meeting newer tables stands by instead of rebuilding them back
(:class:`NewerTablesError`), so two versions never take turns rebuilding.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

import asyncpg

from projections import tracking
from projections.projection import (
    DecodedPage,
    PageHandler,
    Projection,
    SwapRefusedError,
    apply_events,
)
from service.repository import new_mapper
from service.store import START, Position

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence

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
#: Connections of the pool a rebuild leaves to others than its lanes: the lock's, the
#: reader's, one spare.
LANE_RESERVE: Final = 3
#: The collector's thresholds while a rebuild builds (see :func:`_fewer_collections`).
BUILD_GC_THRESHOLD: Final = (20_000, 20, 20)
_building = 0
_saved: list[int] = []
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
    #: The projection's resident page handler while the scratch tables fill (None: its own).
    apply_page: PageHandler | None = None


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
    builds = {
        p.name: _Build(apply_page=p.resident() if p.resident is not None else None) for p in ordered
    }
    async with pool.acquire() as lock_conn:
        for projection in ordered:
            await lock_conn.execute(LOCK_REBUILD, f"rebuild:{projection.name}")
        try:
            await _together(_create_scratch(pool, p) for p in ordered)
            total = await store.count_after(None)
            with _fewer_collections():
                await _build(pool, store, ordered, builds, mapper, page_size, progress, total)
            for build in builds.values():  # the swap reads the scratch tables: let go
                build.apply_page = None
            await _together(_prepare_swap(pool, p) for p in ordered)
            refused: SwapRefusedError | None = None
            for projection in ordered:
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


async def _together(steps: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run the steps (one per projection, each on its own connection) at once; the first to
    fail cancels the others, which are waited for, and its error is raised as it is."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while a rebuild fills its scratch tables.

    A build allocates a page of decoded events and rows at a time and holds its resident rows
    for long, so with the default thresholds the collector ran every few hundred events and
    traversed ever more live objects (a fifth of the build's CPU at 50,000 events, measured).
    Its garbage is freed by reference counting; the collector still runs, less often. The
    thresholds are the process's: the first build in raises them, the last one out restores.
    """
    global _building
    if _building == 0:
        _saved[:] = gc.get_threshold()
        gc.set_threshold(*BUILD_GC_THRESHOLD)
    _building += 1
    try:
        yield
    finally:
        _building -= 1
        if _building == 0:
            gc.set_threshold(*_saved)


async def _create_scratch(pool: asyncpg.Pool, projection: Projection) -> None:
    """An empty scratch schema with the projection's tables, in one round trip (statements
    without parameters go together); asynchronous commit, as for the pages (see _settings)."""
    schema = scratch_schema(projection)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"; '
            f"{_settings(projection, 'SET LOCAL')};\n{projection.ddl}"
        )


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

    When the pool has room for one connection per projection (beside the lock's and the
    reader's), each lane holds its own for the whole build, its settings made once for the
    session (the pool resets them when the connection goes back); otherwise (``grants
    projections rebuild all``) a lane takes one from the pool per page.
    """
    held = len(projections) <= pool.get_max_size() - LANE_RESERVE
    async with contextlib.AsyncExitStack() as stack:
        conns: dict[str, asyncpg.Connection | None] = {}
        for projection in projections:
            conns[projection.name] = None
            if held:
                conn: asyncpg.Connection = await stack.enter_async_context(pool.acquire())
                await conn.execute(_settings(projection, "SET"))
                conns[projection.name] = conn
        await _pipeline(pool, store, projections, builds, conns, mapper, page_size, progress, total)


def _settings(projection: Projection, scope: str) -> str:
    """A lane's settings (``scope``: ``SET`` for the session or ``SET LOCAL``).

    A crash loses nothing that matters: a rebuild starts from zero. The swap commits
    synchronously, and only it makes the scratch tables count.
    """
    schema = scratch_schema(projection)
    return f'{scope} synchronous_commit = off; {scope} search_path TO "{schema}", public'


async def _pipeline(
    pool: asyncpg.Pool,
    store: EventStore,
    projections: Sequence[Projection],
    builds: dict[str, _Build],
    conns: dict[str, asyncpg.Connection | None],
    mapper: Mapper[Any],
    page_size: int,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> None:
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
                    _lane_page(pool, conns[projection.name], projection,
                               builds[projection.name], decoded, lanes.get(projection.name))
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
    conn: asyncpg.Connection | None,
    projection: Projection,
    build: _Build,
    decoded: DecodedPage,
    previous: asyncio.Future[None] | None,
) -> None:
    """Apply one page into one scratch schema, once the page before it is there: on the
    lane's own connection ``conn`` (its search path on the scratch schema), or one from the
    pool when None. One transaction per page, except for a resident handler on its own
    connection: its page is written by statements that each stand alone (a failed page fails
    the rebuild), so no round trips for BEGIN and COMMIT."""
    if previous is not None:
        await previous
    page = decoded.page
    async with contextlib.AsyncExitStack() as stack:
        if conn is None:
            lane: asyncpg.Connection = await stack.enter_async_context(pool.acquire())
            await stack.enter_async_context(lane.transaction())
            await lane.execute(_settings(projection, "SET LOCAL"))
        else:
            lane = conn
            if build.apply_page is None:
                await stack.enter_async_context(lane.transaction())
        build.skipped += await apply_events(
            lane, projection, page, decoded.mapper, settle=False, decoded=decoded,
            apply_page=build.apply_page,
        )  # fmt: skip
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
        await conn.execute(
            f"SET LOCAL statement_timeout = 0; {_settings(projection, 'SET LOCAL')};\n"
            f"{projection.deferred_ddl}"
        )
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
        await conn.execute(
            f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'; "
            "SET LOCAL statement_timeout = 0; "  # see _prepare_swap
            f'SET LOCAL search_path TO "{schema}", public'  # the catalog's functions come first
        )
        await conn.execute(LOCK_DDL, f"ddl:{projection.name}")
        await tracking.lock(conn, projection.name)  # public's table: none in the scratch schema
        built = build.read
        while page := await store.select_notifications(build.position, page_size, conn=conn):
            build.skipped += await apply_events(conn, projection, page, mapper, settle=False)
            build.position, build.read = page[-1].position, build.read + len(page)
        if projection.finish is not None and build.read > built:  # events came in meanwhile
            await projection.finish(conn)
        if projection.guard is not None:
            await projection.guard(conn)
        await conn.execute(  # one round trip
            "; ".join([
                *(f'DROP TABLE IF EXISTS "public"."{t}" CASCADE' for t in projection.tables),
                *(f'ALTER TABLE "{schema}"."{t}" SET SCHEMA public' for t in projection.tables),
                f'DROP SCHEMA "{schema}" CASCADE',
                "SET LOCAL search_path TO public",
            ])
        )  # fmt: skip
        applied = build.read - build.skipped
        await tracking.reset(
            conn, projection.name, projection.version, build.position, applied, build.skipped
        )


async def _drop_tables(conn: asyncpg.Connection, schema: str, projection: Projection) -> None:
    for table in projection.tables:
        await conn.execute(f'DROP TABLE IF EXISTS "{schema}"."{table}" CASCADE')
