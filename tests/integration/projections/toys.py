"""A toy aggregate and projection for testing the runner apart from the domain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from projections.projection import Projection
from service.repository import new_mapper

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore, LogNotification


class Counter(Aggregate):
    """Counts up."""

    @event("Incremented")
    def increment(self, amount: int) -> None:
        """Add ``amount``."""

    @event("Exploded")
    def explode(self) -> None:
        """An event whose handler fails."""


DDL = """
CREATE TABLE toy_totals (
    counter_id uuid PRIMARY KEY,
    total      bigint NOT NULL,
    events     bigint NOT NULL
);
"""
UPSERT = """
INSERT INTO toy_totals (counter_id, total, events) VALUES ($1, $2, 1)
ON CONFLICT (counter_id) DO UPDATE
SET total = toy_totals.total + excluded.total, events = toy_totals.events + 1
"""


async def on_created(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(UPSERT, e.originator_id, 0)


async def on_incremented(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(UPSERT, e.originator_id, e.amount)


async def on_exploded(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    raise ValueError("boom")


TOPIC = f"{__name__}:Counter"
TOYS = Projection(
    name="toys",
    version=1,
    tables=("toy_totals",),
    ddl=DDL,
    handlers={
        f"{TOPIC}.Created": on_created,
        f"{TOPIC}.Incremented": on_incremented,
        f"{TOPIC}.Exploded": on_exploded,
    },
)


async def append_counters(store: EventStore, amounts: list[int]) -> list[UUID]:
    """One new counter per amount, incremented once, each appended in its own transaction."""
    mapper = new_mapper()
    made = []
    for amount in amounts:
        counter = Counter()
        counter.increment(amount=amount)
        made.append(counter.id)
        await store.insert_events([mapper.to_stored_event(e) for e in counter.collect_events()])
    return made


async def totals(pool: asyncpg.Pool) -> list[tuple[Any, ...]]:
    rows = await pool.fetch("SELECT counter_id, total, events FROM toy_totals ORDER BY counter_id")
    return [tuple(r) for r in rows]
