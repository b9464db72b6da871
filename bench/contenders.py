"""The contenders of the store benchmark, each timed on the same workload on the same server.

- ``grants``: our :class:`~service.store.EventStore` on asyncpg, 8 concurrent writer tasks.
- ``eventsourcing``: eventsourcing 9.5's ``PostgresApplicationRecorder`` on psycopg, 4 threads.
- ``raw asyncpg``: hand-written INSERT transactions into a copy of our table (the ceiling).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from service.repository import new_mapper
from service.store import INSERT_MANY, INSERT_ONE, EventStore

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    import asyncpg

WRITERS = 8  # asyncio tasks for ours and raw asyncpg
THREADS = 4  # eventsourcing's recorder is synchronous: threads, one connection each
PAGE = 1000  # log catch-up page size, the same for both readers

RAW_TABLE = "CREATE TABLE raw_events (LIKE events INCLUDING ALL)"
RAW_ONE = INSERT_ONE.replace("INTO events", "INTO raw_events")
RAW_MANY = INSERT_MANY.replace("INTO events", "INTO raw_events")


class Grant(Aggregate):
    """A stand-in aggregate whose events carry the usual mix: ids, money, text, a timestamp."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.total = 0

    @event("Scored")
    def score(self, reviewer: uuid.UUID, points: int, note: str, at: dt.datetime) -> None:
        self.total += points


def domain_events(count: int) -> list[Any]:
    """``count`` real domain events over aggregates of 100 events each."""
    events: list[Any] = []
    when = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    while len(events) < count:
        grant = Grant(title="Date palm nursery, Zagora")
        for i in range(99):
            grant.score(reviewer=uuid.uuid4(), points=i % 7, note="site visit done", at=when)
        events.extend(grant.collect_events())
    return events[:count]


def json_mapper() -> Mapper[Any]:
    """eventsourcing's default mapper, with the transcodings its Application registers."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def stored_events(count: int, per_tx: int) -> list[list[StoredEvent]]:
    """Transactions of ``per_tx`` events of one aggregate each, ``count`` events in all."""
    state = b"\x84" + b"x" * 120  # about the size of a real event's state
    return [
        [StoredEvent(oid, v, "bench:Scored", state) for v in range(1, per_tx + 1)]
        for oid in (uuid.uuid4() for _ in range(count // per_tx))
    ]


def recorder_for(url: str) -> PostgresApplicationRecorder:
    """eventsourcing's recorder on the database of ``url`` (a unix socket dir works as host)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    datastore = PostgresDatastore(
        dbname=parts.path.lstrip("/"),
        host=parts.hostname or query.get("host", ["localhost"])[0],
        port=parts.port or int(query.get("port", ["5432"])[0]),
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        pool_size=THREADS,
    )
    recorder = PostgresApplicationRecorder(datastore)
    recorder.create_table()
    return recorder


async def in_tasks(batches: Sequence[Any], work: Callable[[Any], Awaitable[Any]]) -> float:
    """Seconds for WRITERS tasks to work through ``batches`` concurrently."""
    queue = iter(batches)

    async def writer() -> None:
        for batch in queue:
            await work(batch)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    return time.perf_counter() - started


def in_threads(batches: Sequence[Any], work: Callable[[Any], Any]) -> float:
    """Seconds for THREADS threads to work through ``batches`` concurrently."""
    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        for _ in pool.map(work, batches):
            pass
    return time.perf_counter() - started


class Contenders:
    """The three appenders and two readers, on one database."""

    def __init__(self, store: EventStore, raw: asyncpg.Pool, recorder: Any) -> None:
        self.store = store
        self.raw = raw
        self.recorder: PostgresApplicationRecorder = recorder

    async def append_grants(self, batches: list[list[StoredEvent]]) -> float:
        return await in_tasks(batches, self.store.insert_events)

    async def append_eventsourcing(self, batches: list[list[StoredEvent]]) -> float:
        return await asyncio.to_thread(in_threads, batches, self.recorder.insert_events)

    async def append_raw(self, batches: list[list[StoredEvent]]) -> float:
        async def one(batch: list[StoredEvent]) -> None:
            # One statement, so its own transaction: the fewest round trips asyncpg allows.
            async with self.raw.acquire() as conn:
                if len(batch) == 1:
                    e = batch[0]
                    await conn.fetchval(
                        RAW_ONE, e.originator_id, e.originator_version, e.topic, e.state
                    )
                    return
                await conn.fetch(
                    RAW_MANY,
                    [e.originator_id for e in batch],
                    [e.originator_version for e in batch],
                    [e.topic for e in batch],
                    [e.state for e in batch],
                )

        return await in_tasks(batches, one)

    async def catch_up_grants(self, count: int) -> float:
        mapper = new_mapper()
        started = time.perf_counter()
        read, cursor = 0, None
        while read < count:
            page = await self.store.select_notifications(cursor, min(PAGE, count - read))
            for notification in page:
                mapper.to_domain_event(notification)
            read += len(page)
            cursor = page[-1].position
        return time.perf_counter() - started

    async def catch_up_eventsourcing(self, count: int) -> float:
        def run() -> float:
            mapper = json_mapper()
            started = time.perf_counter()
            read, start = 0, 1
            while read < count:
                page = self.recorder.select_notifications(start, min(PAGE, count - read))
                for notification in page:
                    mapper.to_domain_event(notification)
                read += len(page)
                start = page[-1].id + 1
            return time.perf_counter() - started

        return await asyncio.to_thread(run)

    async def seed_log(self, count: int) -> None:
        """The same ``count`` domain events at the head of both logs, for the catch-up."""
        events = domain_events(count)
        ours, theirs = new_mapper(), json_mapper()
        for i in range(0, count, PAGE):
            chunk = events[i : i + PAGE]
            await self.store.insert_events([ours.to_stored_event(e) for e in chunk])
            theirs_chunk = [theirs.to_stored_event(e) for e in chunk]
            await asyncio.to_thread(self.recorder.insert_events, theirs_chunk)
