"""Gap safety: a subscriber tailing the log under concurrent writers misses nothing.

Writers sleep inside their transactions, after the INSERT and before COMMIT, so transactions
commit out of the order in which they took their notification ids: exactly the situation in
which a reader that trusted notification ids alone would skip events for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import defaultdict

import pytest
from eventsourcing.persistence import StoredEvent

from service.store import EventStore, LogNotification

pytestmark = pytest.mark.store

WRITERS = 8
EVENTS_PER_WRITER = 275  # 2,200 committed events in all
AGGREGATES_PER_WRITER = 12
ROLLBACK_EVERY = 7  # about one transaction in seven is abandoned


class Abandoned(Exception):
    """Raised inside a writer's transaction to roll it back."""


async def write(store: EventStore, seed: int, committed: list[tuple[uuid.UUID, int]]) -> None:
    """Append to this writer's own aggregates until EVENTS_PER_WRITER events have committed."""
    rng = random.Random(seed)
    versions = {uuid.uuid4(): 0 for _ in range(AGGREGATES_PER_WRITER)}
    written = 0
    while written < EVENTS_PER_WRITER:
        batch: list[StoredEvent] = []
        for oid in rng.sample(list(versions), rng.randint(1, 3)):
            for _ in range(rng.randint(1, 4)):
                version = versions[oid] + 1 + sum(e.originator_id == oid for e in batch)
                batch.append(StoredEvent(oid, version, "t", b"kept"))
        abandon = rng.randrange(ROLLBACK_EVERY) == 0
        if abandon:
            batch = [
                StoredEvent(e.originator_id, e.originator_version, "t", b"rolled back")
                for e in batch
            ]
        try:
            async with store.transaction() as conn:
                await store.insert_events(batch, conn=conn)
                await asyncio.sleep(rng.uniform(0, 0.005))
                if abandon:
                    raise Abandoned
        except Abandoned:
            continue
        for e in batch:
            versions[e.originator_id] = e.originator_version
            committed.append((e.originator_id, e.originator_version))
        written += len(batch)


async def test_subscriber_receives_every_committed_event_once_in_order(store: EventStore) -> None:
    committed: list[tuple[uuid.UUID, int]] = []
    received: list[LogNotification] = []
    expected = float("inf")  # known once the writers are done
    caught_up = asyncio.Event()

    async def tail() -> None:
        async for notification in store.subscribe(page_size=97, poll_interval=0.2):
            received.append(notification)
            if len(received) >= expected:
                caught_up.set()

    subscriber = asyncio.create_task(tail())
    try:
        async with asyncio.timeout(60):
            await asyncio.gather(*(write(store, seed, committed) for seed in range(WRITERS)))
            expected = len(committed)
            if len(received) < expected:
                await caught_up.wait()
        await asyncio.sleep(0.3)  # time for a duplicate or a rolled-back event to turn up
    finally:
        subscriber.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await subscriber

    assert len(committed) >= WRITERS * EVENTS_PER_WRITER
    keys = [(n.originator_id, n.originator_version) for n in received]
    assert len(keys) == len(set(keys)), "an event was delivered twice"
    assert set(keys) == set(committed), "an event was missed or a rolled-back one delivered"
    assert all(n.state == b"kept" for n in received)
    by_aggregate: dict[uuid.UUID, list[int]] = defaultdict(list)
    for oid, version in keys:
        by_aggregate[oid].append(version)
    for versions in by_aggregate.values():
        assert versions == list(range(1, len(versions) + 1))
    positions = [n.position for n in received]
    assert positions == sorted(positions)
    # Nothing more turns up afterwards: the log holds exactly what was delivered.
    assert await store.select_notifications(positions[-1], 10) == []
    assert await store.count_after(None) == len(committed)
