"""Aggregates in and out of the event store, through eventsourcing's ``Mapper``."""

from __future__ import annotations

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
    rolls back puts nothing back, so a state changed by an undone decision is never seen again;
    two commands of one process that want the aggregate at once each get their own (the second
    from the store). Whatever is put back was committed: at worst older than the store, never
    ahead of it.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._items: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._size = size

    def take(self, aggregate_id: UUID) -> Aggregate | None:
        """The cached aggregate, now owned by the caller, or None."""
        return self._items.pop(aggregate_id, None)

    def put(self, aggregate: Aggregate) -> None:
        """Keep a committed aggregate with no pending events (the least recently put go first)."""
        if isinstance(aggregate, CACHED) and not aggregate.pending_events:
            self._items[aggregate.id] = aggregate
            self._items.move_to_end(aggregate.id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


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

    @overload
    async def get(
        self, aggregate_id: UUID, *, conn: asyncpg.Connection | None = None
    ) -> Aggregate: ...

    @overload
    async def get(
        self, aggregate_id: UUID, *, conn: asyncpg.Connection | None = None, cls: type[A]
    ) -> A: ...

    async def get(
        self,
        aggregate_id: UUID,
        *,
        conn: asyncpg.Connection | None = None,
        cls: type[Aggregate] = Aggregate,
    ) -> Aggregate:
        """The aggregate's current state; raises :class:`AggregateNotFoundError`.

        An aggregate of :data:`CACHED` comes out of the cache when it is there (hand it back with
        :meth:`keep` once the command committed).
        """
        aggregate: Any = self.cache.take(aggregate_id) if issubclass(cls, CACHED) else None
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

    async def snapshot_if_due(self, aggregate: Aggregate, *, appended: int = 1) -> None:
        """After a commit that appended ``appended`` events, snapshot every SNAPSHOT_EVERY versions.

        Long-lived aggregates (the envelope) then load in O(1) whatever their history.
        """
        if aggregate.version // SNAPSHOT_EVERY > (aggregate.version - appended) // SNAPSHOT_EVERY:
            snapshot = Snapshot.take(aggregate)
            await self.store.insert_snapshot(self.mapper.to_stored_event(snapshot))
