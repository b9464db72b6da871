"""A projection's definition and how a page of events is applied to it.

A :class:`Projection` is a name, a version, the DDL of its tables and either one async handler per
event topic, or one set-based page handler (:class:`PageHandler`) that applies a whole page with a
handful of statements; :func:`apply_events` runs either kind over a page inside the caller's
transaction, so both styles run side by side in one runner. Both the live runner
(:mod:`projections.runner`) and a rebuild (:mod:`projections.rebuild`) use them, so neither needs
the other's module.
"""

from __future__ import annotations

import itertools
import logging
import operator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

import asyncpg
from eventsourcing.utils import TopicError, resolve_topic

from service.errors import is_retryable

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    from eventsourcing.persistence import Mapper

    from service.store import LogNotification

    Handler = Callable[[asyncpg.Connection, Any, LogNotification], Awaitable[None]]
    Guard = Callable[[asyncpg.Connection], Awaitable[None]]
    Refused = Callable[[asyncpg.Pool, "SwapRefusedError"], Awaitable[None]]
    Finisher = Callable[[asyncpg.Connection], Awaitable[None]]

logger = logging.getLogger(__name__)


class PageHandler(Protocol):
    """Applies a page of decoded events (only the topics it asked for) with a few statements.

    ``settle`` is False while a rebuild fills its scratch schema: derived state over the whole
    table (scores, ranks) may then wait for :attr:`Projection.finish`, run once before the swap.
    """

    async def __call__(
        self,
        conn: asyncpg.Connection,
        events: Sequence[tuple[Any, LogNotification]],
        *,
        settle: bool,
    ) -> None: ...


@dataclass(frozen=True)
class Projection:
    """A read model: tables (created by ``ddl``, unqualified names) and a handler per topic."""

    name: str
    version: int
    tables: tuple[str, ...]
    ddl: str
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    #: A critical projection (money, the public ledger) never skips an event it cannot
    #: understand: an unknown topic may be a movement of money written by newer code, so the
    #: projection stops there, reports it, and waits for a fix instead of going on wrong.
    critical: bool = False
    #: Run by a rebuild just before its swap, on the rebuilt tables (the search path finds
    #: them first); raising :class:`SwapRefusedError` keeps the live tables (the ledger's
    #: published entries must never be rewritten). ``refused`` then records why.
    guard: Guard | None = None
    refused: Refused | None = None
    #: Set-based style: the topics this projection reads and one handler for a page of them
    #: (``handlers`` stays empty), and what to run once at the end of a rebuild.
    page_topics: frozenset[str] = frozenset()
    apply_page: PageHandler | None = None
    finish: Finisher | None = None
    #: Set-based style, for a rebuild only: a new page handler per rebuild that may keep
    #: state from page to page (its rows held in memory instead of read back each page), as
    #: the rebuild is the only writer of its scratch tables and fails as a whole. Its pages
    #: must leave the tables as ``apply_page``'s would.
    resident: Callable[[], PageHandler] | None = None
    #: DDL run after ``ddl`` on a fresh install, and by a rebuild only once its scratch tables
    #: are full (indexes that a rebuild would otherwise maintain row by row).
    deferred_ddl: str = ""
    #: Per-event style: the handlers only write with ``conn.execute`` (and read with
    #: ``fetch``/``fetchrow``/``fetchval``), so a page may hold their writes and send each run
    #: of the same statement at once (:class:`BatchedWrites`); a failure replays the page one
    #: event at a time to name the event.
    batched: bool = False

    def reads(self, topic: str) -> bool:
        """True when this projection has something to do with events of ``topic``."""
        return topic in self.handlers or topic in self.page_topics

    @property
    def lock_key(self) -> str:
        """The text whose ``hashtext`` is this projection's advisory lock."""
        return f"projection:{self.name}"


class SwapRefusedError(RuntimeError):
    """Raised when a rebuilt projection must not replace the live one."""


class UnknownTopicError(LookupError):
    """Raised when a critical projection meets an event whose topic this code does not know."""


def is_known_topic(topic: str) -> bool:
    """True when ``topic`` resolves to a class here (registered, or importable)."""
    try:
        resolve_topic(topic)
    except TopicError:
        return False
    return True


class HandlerError(RuntimeError):
    """Raised when a handler fails on an event; the page is rolled back and the runner stops."""

    def __init__(self, projection: str, notification: LogNotification, error: BaseException):
        self.projection = projection
        self.position = notification.position
        self.topic = notification.topic
        super().__init__(
            f"projection {projection}: handler for {notification.topic} failed at "
            f"position {tuple(notification.position)} "
            f"(aggregate {notification.originator_id} v{notification.originator_version}): "
            f"{type(error).__name__}: {error}"
        )


class DecodedPage:
    """A page of the log whose events are decoded at most once, however many projections
    read them: a rebuild of several projections shares one per page."""

    def __init__(self, page: Sequence[LogNotification], mapper: Mapper[Any]) -> None:
        self.page = page
        self.mapper = mapper
        self._events: list[Any] = [None] * len(page)

    def event(self, index: int) -> Any:
        """The domain event of ``page[index]``, decoded on first use."""
        event = self._events[index]
        if event is None:
            event = self._events[index] = self.mapper.to_domain_event(self.page[index])
        return event


async def apply_events(
    conn: asyncpg.Connection,
    projection: Projection,
    page: Sequence[LogNotification],
    mapper: Mapper[Any],
    *,
    settle: bool = True,
    decoded: DecodedPage | None = None,
    apply_page: PageHandler | None = None,
) -> int:
    """Run the handlers over a page inside the caller's transaction; return how many were skipped.

    Events of a topic the projection has no handler for are skipped (and never decoded), except
    that a critical projection refuses to skip a topic nobody knows (:class:`UnknownTopicError`).
    ``decoded`` (of this same page) lends events another projection already decoded;
    ``apply_page`` stands in for the projection's own (a rebuild's :attr:`Projection.resident`).
    """
    decoded = decoded or DecodedPage(page, mapper)
    apply_page = apply_page or projection.apply_page
    if apply_page is not None:
        return await _apply_set_based(conn, projection, apply_page, decoded, settle)
    handled = sum(1 for n in page if n.topic in projection.handlers)
    if projection.batched and handled > 1:
        try:
            async with conn.transaction():  # a savepoint: a failure is replayed event by event
                batch = BatchedWrites(conn)
                skipped = await _apply_each(cast("asyncpg.Connection", batch), projection, decoded)
                await batch.flush()
        except Exception as error:
            # A write sent with others cannot name its event: the page runs again one event at
            # a time below, and fails (or not) naming the right one. The database being away
            # is not the handler's fault: the runner retries the page (service.errors).
            if is_retryable(error):
                raise
        else:
            return skipped
    return await _apply_each(conn, projection, decoded)


async def _apply_each(
    conn: asyncpg.Connection, projection: Projection, decoded: DecodedPage
) -> int:
    skipped = 0
    for index, notification in enumerate(decoded.page):
        handler = projection.handlers.get(notification.topic)
        if handler is None:
            if projection.critical and not is_known_topic(notification.topic):
                error = UnknownTopicError(f"unknown event topic {notification.topic!r}")
                raise HandlerError(projection.name, notification, error)
            skipped += 1
            continue
        try:
            await handler(conn, decoded.event(index), notification)
        except Exception as error:
            # The database being away, busy or in failover (read-only) is not the handler's
            # fault: the page rolls back and the runner retries it (service.errors).
            if is_retryable(error):
                raise
            raise HandlerError(projection.name, notification, error) from error
    return skipped


class BatchedWrites:
    """The connection a batched projection's handlers get: their ``execute`` calls with
    arguments are held, in order, and sent by :meth:`flush` as one ``executemany`` per run of
    the same statement (one round trip for a run, where each ``execute`` took one). Reads
    (``fetch``, ``fetchrow``, ``fetchval``) and ``executemany`` send what is held first, so a
    handler reads what the handlers before it wrote; the order of the writes is kept."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.held: list[tuple[str, tuple[Any, ...]]] = []

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> str:
        """Hold the write (a statement without arguments, or with options, goes at once)."""
        if not args or kwargs:
            await self.flush()
            return str(await self.conn.execute(query, *args, **kwargs))
        self.held.append((query, args))
        return ""

    async def flush(self) -> None:
        """Send the held writes, a run of the same statement in one ``executemany``."""
        held, self.held = self.held, []
        for query, run in itertools.groupby(held, key=operator.itemgetter(0)):
            await self.conn.executemany(query, [args for _, args in run])

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> Any:
        await self.flush()
        return await self.conn.fetch(query, *args, **kwargs)

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        await self.flush()
        return await self.conn.fetchrow(query, *args, **kwargs)

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        await self.flush()
        return await self.conn.fetchval(query, *args, **kwargs)

    async def executemany(self, query: str, args: Any, **kwargs: Any) -> None:
        await self.flush()
        await self.conn.executemany(query, args, **kwargs)


async def _apply_set_based(
    conn: asyncpg.Connection,
    projection: Projection,
    apply_page: PageHandler,
    decoded: DecodedPage,
    settle: bool,
) -> int:
    events = []
    for index, notification in enumerate(decoded.page):
        if notification.topic not in projection.page_topics:
            if projection.critical and not is_known_topic(notification.topic):
                error = UnknownTopicError(f"unknown event topic {notification.topic!r}")
                raise HandlerError(projection.name, notification, error)
            continue
        try:
            events.append((decoded.event(index), notification))
        except Exception as error:
            raise HandlerError(projection.name, notification, error) from error
    if events:
        try:
            await apply_page(conn, events, settle=settle)
        except Exception as error:
            if is_retryable(error):  # the database, not the handler (service.errors)
                raise
            # The page failed as a whole: name its first event, the position the runner stands at.
            raise HandlerError(projection.name, events[0][1], error) from error
    return len(decoded.page) - len(events)
