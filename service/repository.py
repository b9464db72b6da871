"""Aggregates in and out of the event store, through eventsourcing's ``Mapper``."""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast, overload
from weakref import WeakKeyDictionary

from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.persistence import Mapper

# Every aggregate module, so that every stored topic resolves in any process that decodes
# events (a projection worker imports no use case, and would otherwise fail on the first event).
from domain import applications, calls, envelopes, rubrics  # noqa: F401
from service.transcoder import MsgspecTranscoder

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg
    from eventsourcing.persistence import StoredEvent

    from service.store import EventStore

A = TypeVar("A", bound=Aggregate)
SNAPSHOT_EVERY = 100
#: Aggregates kept in memory between the commands of a process (:class:`AggregateCache`): long
#: lived, on every decision's path, and holding no personal data. The envelope's state grows
#: with each funded application (its reservations): loading it from its snapshot took time in
#: proportion to the files it funded, inside the envelope's lock, so that decisions slowed down
#: as a programme grew (a quarter of the rate after 2,000 decisions).
CACHED: Final[tuple[type[Aggregate], ...]] = (envelopes.SupportEnvelope,)
CACHE_SIZE: Final = 256
#: How long a command waits for the aggregate another command of its process has out (it is
#: committing) before it loads its own from the store.
RETURN_WAIT_S: Final = 0.25


class AggregateNotFoundError(LookupError):
    """Raised when no events exist for the aggregate id asked for."""

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(f"no aggregate with id {aggregate_id}")
        self.aggregate_id = aggregate_id


def new_mapper() -> Mapper[Any]:
    """The mapper every part of the platform uses to (de)serialise domain events."""
    return Mapper(transcoder=MsgspecTranscoder())


class AggregateCache:
    """The latest committed state of some aggregates (:data:`CACHED`), one cache per store.

    An aggregate is *taken* out by the command that loads it, which catches it up with the events
    stored after its version (events are immutable and versions consecutive, so the result is the
    current state), and *put* back only after that command committed. A command that fails or
    rolls back puts nothing back (it *lets go*), so a state changed by an undone decision is
    never seen again. Whatever is put back was committed: at worst older than the store, never
    ahead of it.

    While one command has an aggregate out, the next one of the process that wants it waits for
    it to come back, at most :data:`RETURN_WAIT_S`, then loads its own from the store. The
    envelope is loaded under its lock, which the holder released at its commit, just before it
    puts the envelope back: without the wait, the next decision, woken by that release, found
    the cache empty one time in ten and decoded the envelope's snapshot, in time proportional to
    the files it funded, inside the lock (37 ms a time after 9,600 decisions; the funding rate
    fell from 390 to 120 a second).
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._items: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._size = size
        #: Aggregates a command has out, and what resolves when it puts them back or lets go.
        self._out: dict[UUID, asyncio.Future[None]] = {}

    async def take(self, aggregate_id: UUID) -> Aggregate | None:
        """The cached aggregate, now owned by the caller, or None (load it from the store);
        either way the caller has it out until it puts it back or lets go."""
        returning = self._out.get(aggregate_id)
        if returning is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(returning), RETURN_WAIT_S)
        if aggregate_id not in self._out:
            self._out[aggregate_id] = asyncio.get_running_loop().create_future()
        return self._items.pop(aggregate_id, None)

    def put(self, aggregate: Aggregate) -> None:
        """Keep a committed aggregate with no pending events (the least recently put go first)."""
        if isinstance(aggregate, CACHED) and not aggregate.pending_events:
            self._items[aggregate.id] = aggregate
            self._items.move_to_end(aggregate.id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        self.let_go(aggregate.id)

    def let_go(self, aggregate_id: UUID) -> None:
        """The aggregate is no longer out (put back, or its command failed)."""
        returning = self._out.pop(aggregate_id, None)
        if returning is not None and not returning.done():
            returning.set_result(None)


_caches: WeakKeyDictionary[EventStore, AggregateCache] = WeakKeyDictionary()


def cache_of(store: EventStore) -> AggregateCache:
    """The aggregate cache of ``store`` (one database), created on first use."""
    cache = _caches.get(store)
    if cache is None:
        cache = _caches[store] = AggregateCache()
    return cache


class Repository:
    """Loads aggregates (from memory or their latest snapshot on) and saves their pending events."""

    def __init__(self, store: EventStore, mapper: Mapper[Any] | None = None) -> None:
        self.store = store
        self.mapper = mapper or new_mapper()
        self.cache = cache_of(store)
        #: What this repository's command has out of the cache (see :meth:`keep`, :meth:`let_go`).
        self.taken: set[UUID] = set()

    @overload
    async def get(
        self, aggregate_id: UUID, *, conn: asyncpg.Connection | None = None, take: bool = False
    ) -> Aggregate: ...

    @overload
    async def get(
        self,
        aggregate_id: UUID,
        *,
        conn: asyncpg.Connection | None = None,
        cls: type[A],
        take: bool = False,
    ) -> A: ...

    async def get(
        self,
        aggregate_id: UUID,
        *,
        conn: asyncpg.Connection | None = None,
        cls: type[Aggregate] = Aggregate,
        take: bool = False,
    ) -> Aggregate:
        """The aggregate's current state; raises :class:`AggregateNotFoundError`.

        ``take`` (a command's load): an aggregate of :data:`CACHED` comes out of the cache when
        it is there; the command has it out until it hands it back with :meth:`keep` once it
        committed, or :meth:`let_go` when it did not. A plain read leaves the cache alone.
        """
        aggregate: Any = None
        if take and issubclass(cls, CACHED) and aggregate_id not in self.taken:
            aggregate = await self.cache.take(aggregate_id)
            self.taken.add(aggregate_id)
        if aggregate is not None:
            after = aggregate.version
        elif (snapshot := await self.store.select_snapshot(aggregate_id, conn=conn)) is not None:
            aggregate = cast(Snapshot, self.mapper.to_domain_event(snapshot)).mutate(None)
            after = snapshot.originator_version
        else:
            after = None
        for stored in await self.store.select_events(aggregate_id, gt=after, conn=conn):
            aggregate = cast(Any, self.mapper.to_domain_event(stored)).mutate(aggregate)
        if aggregate is None:
            raise AggregateNotFoundError(aggregate_id)
        return cast(Aggregate, aggregate)

    async def save(
        self, *aggregates: Aggregate, conn: asyncpg.Connection | None = None
    ) -> list[int]:
        """Append every pending event of the aggregates atomically; returns notification ids."""
        stored: list[StoredEvent] = []
        for aggregate in aggregates:
            stored.extend(self.mapper.to_stored_event(e) for e in aggregate.collect_events())
        return await self.store.insert_events(stored, conn=conn)

    def keep(self, *aggregates: Aggregate) -> None:
        """After a commit: keep the committed state of the aggregates of :data:`CACHED`."""
        for aggregate in aggregates:
            self.cache.put(aggregate)
            self.taken.discard(aggregate.id)

    def let_go(self) -> None:
        """The command failed or will try again: what it took goes back to nobody."""
        for aggregate_id in self.taken:
            self.cache.let_go(aggregate_id)
        self.taken.clear()

    async def snapshot_if_due(self, aggregate: Aggregate, *, appended: int = 1) -> None:
        """After a commit that appended ``appended`` events, snapshot every SNAPSHOT_EVERY versions.

        Long-lived aggregates (the envelope) then load in O(1) whatever their history.
        """
        if aggregate.version // SNAPSHOT_EVERY > (aggregate.version - appended) // SNAPSHOT_EVERY:
            snapshot = Snapshot.take(aggregate)
            await self.store.insert_snapshot(self.mapper.to_stored_event(snapshot))
