"""execute(): load, decide, append atomically, retry on conflicts, honour idempotency keys."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from eventsourcing.domain import Aggregate, event

from service.commands import CommandConflictError, Unit, execute
from service.repository import Repository
from service.store import EventStore

pytestmark = pytest.mark.store


class Counter(Aggregate):
    """A toy aggregate: a counter that refuses to go past a limit."""

    @event("Started")
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    def increment(self) -> None:
        if self.count >= self.limit:
            raise ValueError("limit reached")
        self._incremented()

    @event("Incremented")
    def _incremented(self) -> None:
        self.count += 1


async def start(store: EventStore, limit: int, key: str | None = None) -> uuid.UUID:
    async def decide(unit: Unit) -> uuid.UUID:
        counter = Counter(limit)
        unit.add(counter)
        return counter.id

    return await execute(store, decide, idempotency=("start", key))


async def increment(store: EventStore, counter_id: uuid.UUID) -> int:
    async def decide(unit: Unit) -> int:
        counter = await unit.get(counter_id, Counter)
        counter.increment()
        return counter.count

    return await execute(store, decide)


async def test_same_idempotency_key_creates_one_aggregate(store: EventStore) -> None:
    first = await start(store, 3, key="k-1")
    again = await start(store, 3, key="k-1")
    other = await start(store, 3, key="k-2")
    assert first == again != other
    assert len(await store.select_notifications(None, 100)) == 2


async def test_concurrent_commands_with_one_key_append_once(store: EventStore) -> None:
    results = await asyncio.gather(*(start(store, 3, key="double-click") for _ in range(10)))
    assert len(set(results)) == 1
    assert len(await store.select_notifications(None, 100)) == 1


async def test_a_key_sent_again_while_the_first_decides_gets_the_first_answer(
    store: EventStore,
) -> None:
    """A double click on "pay the last tranche": the second request must not decide on what the
    first is about to commit (it would be refused, "limit reached", and the page would show an
    error for a payment that was made); it waits for the first and returns its result."""
    counter_id = await start(store, 1)
    first_deciding, decided_by = asyncio.Event(), []

    async def pay(who: str) -> int:
        async def decide(unit: Unit) -> int:
            decided_by.append(who)
            counter = await unit.get(counter_id, Counter)
            counter.increment()
            if who == "first":
                first_deciding.set()
                await asyncio.sleep(0.3)  # the second request arrives meanwhile
            return counter.count

        return await execute(store, decide, idempotency=("pay", "double-click"))

    first = asyncio.create_task(pay("first"))
    await first_deciding.wait()
    second = await pay("second")
    assert (await first, second) == (1, 1)
    assert decided_by == ["first"]  # the second waited, and found the first's answer


async def test_concurrent_changes_retry_and_all_land(store: EventStore) -> None:
    counter_id = await start(store, 100)
    counts = await asyncio.gather(*(increment(store, counter_id) for _ in range(8)))
    assert sorted(counts) == list(range(1, 9))
    counter = await Repository(store).get(counter_id, cls=Counter)
    assert counter.count == 8


async def test_a_refused_decision_appends_nothing(store: EventStore) -> None:
    counter_id = await start(store, 1)
    await increment(store, counter_id)
    with pytest.raises(ValueError, match="limit reached"):
        await increment(store, counter_id)
    assert len(await store.select_events(counter_id)) == 2


async def test_gives_up_after_bounded_retries(store: EventStore) -> None:
    counter_id = await start(store, 100)

    async def always_conflicts(unit: Unit) -> None:
        counter = await unit.get(counter_id, Counter)
        counter.increment()
        await increment(store, counter_id)  # someone else takes the version first, every time

    with pytest.raises(CommandConflictError):
        await execute(store, always_conflicts, attempts=3)
