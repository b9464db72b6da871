"""Aggregates in and out of the event store, through eventsourcing's ``Mapper``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

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


class AggregateNotFoundError(LookupError):
    """Raised when no events exist for the aggregate id asked for."""

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(f"no aggregate with id {aggregate_id}")
        self.aggregate_id = aggregate_id


def new_mapper() -> Mapper[Any]:
    """The mapper every part of the platform uses to (de)serialise domain events."""
    return Mapper(transcoder=MsgspecTranscoder())


class Repository:
    """Loads aggregates (from their latest snapshot on) and saves their pending events."""

    def __init__(self, store: EventStore, mapper: Mapper[Any] | None = None) -> None:
        self.store = store
        self.mapper = mapper or new_mapper()

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
        """The aggregate's current state; raises :class:`AggregateNotFoundError`."""
        snapshot = await self.store.select_snapshot(aggregate_id, conn=conn)
        aggregate: Any = None
        after = None
        if snapshot is not None:
            aggregate = cast(Snapshot, self.mapper.to_domain_event(snapshot)).mutate(None)
            after = snapshot.originator_version
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

    async def snapshot_if_due(self, aggregate: Aggregate, *, appended: int = 1) -> None:
        """After a commit that appended ``appended`` events, snapshot every SNAPSHOT_EVERY versions.

        Long-lived aggregates (the envelope) then load in O(1) whatever their history.
        """
        if aggregate.version // SNAPSHOT_EVERY > (aggregate.version - appended) // SNAPSHOT_EVERY:
            snapshot = Snapshot.take(aggregate)
            await self.store.insert_snapshot(self.mapper.to_stored_event(snapshot))
