"""The live projection runner: pages applied atomically, leadership, wake-ups.

A projection (:class:`projections.projection.Projection`) is a name, a version, the DDL of its
tables and one async handler per event topic. :func:`write_page` applies a page of log entries and moves the projection's tracking
position in one transaction; the tracking row is locked ``FOR UPDATE`` and must still stand where
the page starts, so a page applied twice (a retry, a second runner) changes nothing.

Handlers write with unqualified table names: a rebuild runs the same handlers with the
``search_path`` pointing at a scratch schema (see :mod:`projections.rebuild`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncpg

from projections import tracking
from projections.leadership import Leadership
from projections.projection import DecodedPage, HandlerError, Projection, apply_events
from projections.rebuild import ensure_current
from service.errors import DATABASE_ERRORS, is_retryable
from service.live import announce
from service.repository import new_mapper
from service.store import Position

if TYPE_CHECKING:
    from collections.abc import Awaitable, Sequence

    from eventsourcing.persistence import Mapper

    from service.live import Waker
    from service.store import EventStore, LogNotification


logger = logging.getLogger(__name__)
ASYNC_COMMIT = "SET LOCAL synchronous_commit = off"


async def write_page(
    pool: asyncpg.Pool,
    projection: Projection,
    page: Sequence[LogNotification],
    after: Position,
    mapper: Mapper[Any],
    *,
    settle: bool = True,
) -> bool:
    """Apply ``page`` (the entries right after ``after``) and advance, all in one transaction.

    Returns False, changing nothing, when the projection no longer stands at ``after``.
    """
    if not page:
        return False
    async with pool.acquire() as conn:
        return await apply_page(conn, projection, page, after, mapper, settle=settle)


async def apply_page(
    conn: asyncpg.Connection,
    projection: Projection,
    page: Sequence[LogNotification],
    after: Position,
    mapper: Mapper[Any],
    *,
    settle: bool = True,
    decoded: DecodedPage | None = None,
) -> bool:
    """:func:`write_page` on a connection the caller holds (the live runner reads the page on
    it too: one pool connection and one reset per page, not three). ``decoded``: the page's
    events as other runners of the process already decoded them (:class:`SharedReads`)."""
    async with conn.transaction():
        # A page is derived data, committed with its tracking row: a crash can lose only both
        # together, and the runner applies them again from the log. So it does not wait for
        # the WAL flush (the log's own appends still do); the live lag drops by that wait.
        await conn.execute(ASYNC_COMMIT)
        if await tracking.lock(conn, projection.name) != after:
            return False
        skipped = await apply_events(conn, projection, page, mapper, settle=settle, decoded=decoded)
        await tracking.advance(conn, projection.name, page[-1].position, len(page), skipped)
    return True


@dataclass(frozen=True)
class SharedPage:
    """A page read once for the runners of a process: its events (decoded at most once),
    whether events after it wait behind an open transaction (asked only for an empty page),
    and when its read started (``time.monotonic()``)."""

    decoded: DecodedPage
    held_back: bool
    started: float


class SharedReads:
    """One read and one decoding of a page for every runner of the process that stands there.

    The runners of a process are woken by the same notification and mostly stand at the same
    position: without this, each of them ran the same fenced read of the log (and, at the head,
    the same question whether events are held back) and decoded the same events: ten
    projections, ten reads per notification, each event decoded by every projection that
    handles it. Here the first runner to ask for the page after a position reads it; the others
    get its page and decoded events, if it can stand for their own read:

    - a non-empty page always can. A page read earlier is a prefix of one read later from the
      same position (the fence only moves up, and every event below it had committed when the
      read ran), so the runner applies it and reads on from its end;
    - an empty page only if its read started after the runner's last wake-up (``fresh_since``):
      every commit announced before that wake-up is then visible to it (or held back, and so
      reported), and every later announcement wakes the runner again. An older empty read
      could miss the event the runner was woken for, and the runner would sleep on it.
    """

    def __init__(self, store: EventStore, mapper: Mapper[Any], keep: int = 8) -> None:
        self.store = store
        self.mapper = mapper
        self.keep = keep
        self.reads = 0  # reads of the log (the other requests were shared)
        self._pages: dict[tuple[Position, int], tuple[float, asyncio.Future[SharedPage]]] = {}

    async def read(
        self, after: Position, limit: int, conn: asyncpg.Connection, *, fresh_since: float
    ) -> SharedPage:
        """The page after ``after`` (at most ``limit`` entries), read on ``conn`` unless a read
        that can stand for it (see the class) is under way or done."""
        key = (after, limit)
        entry = self._pages.get(key)
        if entry is not None and (entry[0] >= fresh_since or _has_events(entry[1])):
            try:
                page = await asyncio.shield(entry[1])
            except asyncio.CancelledError:
                if not entry[1].cancelled():
                    raise  # this runner is cancelled, not the read it waited for
                page = None  # the reader was cancelled: read here
            except Exception:  # the reader that failed reports it: read here
                page = None
            if page is not None and (page.decoded.page or page.started >= fresh_since):
                return page
        started = time.monotonic()
        future: asyncio.Future[SharedPage] = asyncio.get_running_loop().create_future()
        self._pages[key] = (started, future)
        while len(self._pages) > self.keep:
            del self._pages[next(iter(self._pages))]
        try:
            self.reads += 1
            rows = await self.store.select_notifications(after, limit, conn=conn)
            held = not rows and await self.store.held_back(after, conn=conn)
        except BaseException as error:
            if isinstance(error, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(error)
                future.exception()  # retrieved: only this reader raises it
            if self._pages.get(key) == (started, future):
                del self._pages[key]
            raise
        page = SharedPage(DecodedPage(rows, self.mapper), held, started)
        future.set_result(page)
        return page


def _has_events(read: asyncio.Future[SharedPage]) -> bool:
    if not read.done() or read.cancelled() or read.exception() is not None:
        return False
    return bool(read.result().decoded.page)


@dataclass
class ProjectionRunner:
    """Keeps one projection up to date while it holds the projection's advisory lock."""

    pool: asyncpg.Pool
    store: EventStore
    projection: Projection
    leadership: Leadership | None = None
    page_size: int = 500
    standby_interval: float = 1.0
    poll_interval: float = 1.0
    pages_applied: int = 0
    leading: bool = False
    mapper: Mapper[Any] = field(default_factory=new_mapper)
    #: Pages were applied without settling the whole-table state (scores, the line). True at
    #: start: a runner before this one (another process, or one that crashed) may have left
    #: full pages unsettled, and nothing in the tables says so; one settle at the head is cheap.
    unsettled: bool = True
    #: Where the projection stands, as this runner last wrote or read it (None: read it). Only
    #: a hint: a page is applied only if the locked tracking row still stands there.
    position: Position | None = None
    #: Pages read and decoded once for every runner of the process (None: this runner reads
    #: and decodes its own).
    shared: SharedReads | None = None
    #: With ``shared``: whether events wait behind an open transaction after the last empty
    #: page (read with it), and when this runner last woke up (``time.monotonic()``).
    held: bool = False
    woke: float = 0.0

    async def step(self) -> int:
        """Apply the next page if there is one; return how many events it held.

        A set-based projection settles what spans the whole table (the review queue's scores
        and line: a second at 100,000 files) with the page that reaches the head of the log;
        full pages in a backlog skip it, and the first empty read after them settles.
        """
        after = await self._position()
        async with self.pool.acquire() as conn:
            decoded: DecodedPage | None = None
            page: Sequence[LogNotification]
            if self.shared is None:
                page = await self.store.select_notifications(after, self.page_size, conn=conn)
            else:
                shared = await self.shared.read(after, self.page_size, conn, fresh_since=self.woke)
                decoded, page, self.held = shared.decoded, shared.decoded.page, shared.held_back
            settle = len(page) < self.page_size
            try:
                applied = bool(page) and await apply_page(
                    conn, self.projection, page, after, self.mapper, settle=settle,
                    decoded=decoded,
                )  # fmt: skip
            except HandlerError as error:
                self.position = None
                await tracking.record_error(self.pool, self.projection.name, str(error))
                raise
        self.position = page[-1].position if applied else (after if not page else None)
        if page and not applied:  # the projection moved under the hint: read where it stands
            return await self.step()
        if applied:
            self.pages_applied += 1
            if settle and self.unsettled:  # the page handler may see nothing worth settling
                await self._settle()
            else:
                self.unsettled = not settle and self.projection.finish is not None
            await announce(
                self.pool, self.projection.name, self.store.feed
            )  # wakes the live streams
            return len(page)
        if not page and self.unsettled:
            await self._settle()
            await announce(self.pool, self.projection.name, self.store.feed)
        return 0

    async def _position(self) -> Position:
        if self.position is None:
            self.position = await tracking.position(self.pool, self.projection.name)
        return self.position

    async def _settle(self) -> None:
        finish = self.projection.finish
        if finish is not None:
            async with self.pool.acquire() as conn, conn.transaction():
                await tracking.lock(conn, self.projection.name)
                await finish(conn)
        self.unsettled = False

    async def catch_up(self) -> int:
        """Apply pages until the log is exhausted; return the number of events read."""
        total = 0
        while count := await self.step():
            total += count
        return total

    async def run(self, stop: asyncio.Event, waker: Waker | None = None) -> None:
        """Lead when the lock is free, stand by otherwise, until ``stop`` or a failure.

        A failing handler (:class:`HandlerError`, recorded in the tracking table) or tables of a
        newer version (:class:`projections.rebuild.NewerTablesError`) end the run with that
        error: :mod:`projections.supervisor` restarts it with backoff, alone.
        """
        leadership = self.leadership or Leadership(self.pool)
        try:
            async with contextlib.AsyncExitStack() as stack:
                if waker is None:
                    waker = await stack.enter_async_context(
                        self.store.listener(poll_interval=self.poll_interval)
                    )
                await self._run(stop, waker, leadership)
        finally:
            if self.leadership is None:
                await leadership.close()

    async def _run(self, stop: asyncio.Event, waker: Waker, leadership: Leadership) -> None:
        key = self.projection.lock_key
        failures = 0
        while not stop.is_set():
            try:
                if await leadership.try_lead(key):
                    await self._lead(stop, waker, leadership)
                    continue
            except DATABASE_ERRORS as error:
                # service.errors decides: away, busy, read-only during a failover, too many
                # connections: retry with backoff; anything else stops this runner, reported.
                if not is_retryable(error):
                    raise
                failures += 1
                logger.warning("projection %s: %s; retrying", self.projection.name, error)
                await leadership.reset()
                await wait_or_stop(stop, asyncio.sleep(backoff(failures, self.standby_interval)))
                continue
            failures = 0
            await wait_or_stop(stop, asyncio.sleep(self.standby_interval))

    async def _lead(self, stop: asyncio.Event, waker: Waker, leadership: Leadership) -> None:
        name = self.projection.name
        logger.info("projection %s: leading", name)
        self.leading = True
        self.position = None  # another runner may have led meanwhile
        self.woke = time.monotonic()
        try:
            await ensure_current(self.pool, self.store, self.projection)
            while not stop.is_set() and await leadership.alive():
                if await self.step():
                    continue
                if self.shared is not None:
                    held = self.held  # asked with the empty page, once for the process
                else:
                    held = await self.store.held_back(await self._position(), conn=self.pool)
                await wait_or_stop(stop, waker.wait(held))
                self.woke = time.monotonic()
        finally:
            self.leading = False
            with contextlib.suppress(*DATABASE_ERRORS):
                await leadership.release(self.projection.lock_key)
        logger.info("projection %s: no longer leading", name)


def backoff(failures: int, base: float, cap: float = 30.0) -> float:
    """Seconds to wait after ``failures`` failures in a row: doubling from ``base``, jittered."""
    return float(random.uniform(0.5, 1.0) * min(cap, base * 2 ** min(failures - 1, 10)))  # noqa: S311


async def wait_or_stop(stop: asyncio.Event, awaitable: Awaitable[Any]) -> None:
    """Wait for ``awaitable`` unless ``stop`` is set first."""
    task = asyncio.ensure_future(awaitable)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, stopper):
            pending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        with contextlib.suppress(asyncio.CancelledError):
            await stopper


__all__ = ["ProjectionRunner", "write_page"]
