"""The event store against a real PostgreSQL: appends, reads, the log cursor, snapshots."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import asyncpg
import pytest
from eventsourcing.domain import Aggregate, Snapshot, event
from eventsourcing.persistence import StoredEvent

from service import db
from service.repository import Repository
from service.store import ConcurrencyError, EventStore, Position
from service.testing import private_server, scratch_database

if TYPE_CHECKING:
    import asyncpg

    from service.settings import Settings
    from service.store import LogNotification

pytestmark = pytest.mark.store


def stored(oid: uuid.UUID, version: int, topic: str = "t", state: bytes = b"") -> StoredEvent:
    return StoredEvent(oid, version, topic, state or f"{oid}:{version}".encode())


async def test_select_events_by_version_range_order_and_limit(store: EventStore) -> None:
    oid = uuid.uuid4()
    await store.insert_events([stored(oid, v) for v in range(1, 6)])

    def versions(events: list[StoredEvent]) -> list[int]:
        return [e.originator_version for e in events]

    assert versions(await store.select_events(oid)) == [1, 2, 3, 4, 5]
    assert versions(await store.select_events(oid, gt=2)) == [3, 4, 5]
    assert versions(await store.select_events(oid, lte=3)) == [1, 2, 3]
    assert versions(await store.select_events(oid, gt=1, lte=4)) == [2, 3, 4]
    assert versions(await store.select_events(oid, desc=True)) == [5, 4, 3, 2, 1]
    assert versions(await store.select_events(oid, desc=True, limit=2)) == [5, 4]
    assert versions(await store.select_events(oid, gt=1, limit=2)) == [2, 3]
    assert await store.select_events(uuid.uuid4()) == []
    first = (await store.select_events(oid, limit=1))[0]
    assert first == stored(oid, 1)


async def test_version_conflict_raises_and_writes_nothing(store: EventStore) -> None:
    oid = uuid.uuid4()
    await store.insert_events([stored(oid, 1), stored(oid, 2)])
    with pytest.raises(ConcurrencyError):
        await store.insert_events([stored(oid, 3, state=b"x"), stored(oid, 2, state=b"y")])
    with pytest.raises(ConcurrencyError):
        await store.insert_events([stored(oid, 1, state=b"z")])
    assert [e.state for e in await store.select_events(oid)] == [
        stored(oid, v).state for v in (1, 2)
    ]
    assert len(await store.select_notifications(None, 100)) == 2


async def test_append_to_several_aggregates_is_all_or_nothing(store: EventStore) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    await store.insert_events([stored(second, 1)])
    with pytest.raises(ConcurrencyError):
        await store.insert_events([stored(first, 1), stored(first, 2), stored(second, 1)])
    assert await store.select_events(first) == []
    # The same inside a command's transaction: the first INSERT is undone with the second.

    async def append_in_one_command() -> None:
        async with store.transaction() as conn:
            await store.insert_events([stored(first, 1)], conn=conn)
            await store.insert_events([stored(second, 1)], conn=conn)

    with pytest.raises(ConcurrencyError):
        await append_in_one_command()
    assert await store.select_events(first) == []
    ids = await store.insert_events([stored(first, 1), stored(second, 2)])
    assert len(ids) == 2
    assert ids[0] < ids[1]


async def test_log_pages_follow_the_position_cursor(store: EventStore) -> None:
    oids = [uuid.uuid4() for _ in range(5)]
    for version in (1, 2, 3):
        await store.insert_events([stored(oid, version) for oid in oids])
    seen: list[LogNotification] = []
    cursor: Position | None = None
    while page := await store.select_notifications(cursor, 4):
        assert len(page) <= 4
        seen.extend(page)
        cursor = page[-1].position
    assert len(seen) == 15
    assert [n.id for n in seen] == sorted(n.id for n in seen)
    assert len({n.position for n in seen}) == 15
    assert [(n.originator_id, n.originator_version) for n in seen[:5]] == [(o, 1) for o in oids]
    # Reading after any position gives exactly the rest of the log.
    middle = seen[6].position
    assert await store.select_notifications(middle, 100) == seen[7:]
    assert await store.select_notifications(seen[-1].position, 100) == []


async def test_topics_filter_the_log(store: EventStore) -> None:
    oid = uuid.uuid4()
    topics = ["a", "b", "c", "a", "b", "a"]
    await store.insert_events([stored(oid, v, topic) for v, topic in enumerate(topics, 1)])
    only_a = await store.select_notifications(None, 10, topics=["a"])
    assert [n.originator_version for n in only_a] == [1, 4, 6]
    a_or_c = await store.select_notifications(None, 10, topics=("a", "c"))
    assert [n.originator_version for n in a_or_c] == [1, 3, 4, 6]
    assert await store.select_notifications(None, 10, topics=["zzz"]) == []
    after_first = await store.select_notifications(only_a[0].position, 1, topics=["a"])
    assert [n.originator_version for n in after_first] == [4]


async def test_max_notification_id_is_the_last_visible_position(store: EventStore) -> None:
    assert await store.max_notification_id() is None
    oid = uuid.uuid4()
    await store.insert_events([stored(oid, 1)])
    await store.insert_events([stored(oid, 2), stored(oid, 3)])
    head = await store.max_notification_id()
    log = await store.select_notifications(None, 10)
    assert head == log[-1].position
    assert await store.select_notifications(head, 10) == []


async def test_a_late_commit_is_held_back_not_skipped(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    early, late = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as slow:
        tx = slow.transaction()
        await tx.start()
        await store.insert_events([stored(early, 1)], conn=slow)  # lower tx id, commits last
        await store.insert_events([stored(late, 1)])
        assert await store.select_notifications(None, 10) == []
        assert await store.held_back(None)
        await tx.commit()
    log = await wait_for_log(store, 2)
    assert [n.originator_id for n in log] == [early, late]
    assert not await store.held_back(log[-1].position)


async def test_a_long_transaction_in_another_database_does_not_hold_the_fence(
    store: EventStore, pool: asyncpg.Pool, admin_url: str
) -> None:
    """Per-database fence: another database's open transaction is not ours to wait for, while
    our own late commit is still held back (not skipped) in the same situation."""
    async with scratch_database(admin_url, prefix="other") as other_url:
        other = await asyncpg.connect(other_url)
        try:
            long = other.transaction()
            await long.start()
            foreign = await other.fetchval("SELECT pg_current_xact_id()")  # a writing tx
            first, early, late = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            await store.insert_events([stored(first, 1)])  # commits after the foreign tx began
            log = await store.select_notifications(None, 10)
            assert [n.originator_id for n in log] == [first]  # the old fence showed nothing
            assert int(foreign) < await store.fence()
            assert not await store.held_back(log[-1].position)
            async with pool.acquire() as slow:  # our own late commit, during the foreign tx
                tx = slow.transaction()
                await tx.start()
                await store.insert_events([stored(early, 1)], conn=slow)
                await store.insert_events([stored(late, 1)])
                assert await store.select_notifications(log[-1].position, 10) == []
                assert await store.held_back(log[-1].position)
                await tx.commit()
            after = await store.select_notifications(log[-1].position, 10)
            assert [n.originator_id for n in after] == [early, late]
            assert await store.max_notification_id() == after[-1].position
            await long.rollback()
        finally:
            await other.close()


async def test_a_prepared_transaction_in_another_database_does_not_hold_the_fence(
    settings: Settings,
) -> None:
    """A prepared transaction has no session: pg_prepared_xacts places it. On a server of its
    own, since the shared test server has max_prepared_transactions = 0."""
    with private_server("max_prepared_transactions=4") as server:
        async with (
            scratch_database(server) as ours_url,
            scratch_database(server, prefix="other") as other_url,
        ):
            pool = await db.create_pool(settings, ours_url)
            other = await asyncpg.connect(other_url)
            store = EventStore(pool)
            try:
                async with pool.acquire() as conn:
                    await db.migrate(conn)
                await other.execute("CREATE TABLE t (x int)")
                await other.execute("BEGIN; INSERT INTO t VALUES (1); PREPARE TRANSACTION 'p1'")
                oid = uuid.uuid4()
                await store.insert_events([stored(oid, 1)])
                log = await store.select_notifications(None, 10)
                assert [n.originator_id for n in log] == [oid]  # not held behind 'p1'
                async with pool.acquire() as ours:  # our own prepared transaction is ours
                    await ours.execute("BEGIN")
                    await store.insert_events([stored(oid, 2)], conn=ours)
                    await ours.execute("PREPARE TRANSACTION 'p2'")
                await store.insert_events([stored(uuid.uuid4(), 1)])
                assert await store.select_notifications(log[-1].position, 10) == []
                assert await store.held_back(log[-1].position)
                await pool.execute("COMMIT PREPARED 'p2'")
                after = await store.select_notifications(log[-1].position, 10)
                assert [n.originator_version for n in after][:1] == [2]
                await other.execute("ROLLBACK PREPARED 'p1'")
            finally:
                await store.close()
                await pool.close()
                await other.close()


async def wait_for_log(store: EventStore, count: int) -> list[LogNotification]:
    """The log once it shows ``count`` events (the fence is server-wide, so allow a moment)."""
    async with asyncio.timeout(10):
        while len(log := await store.select_notifications(None, count + 10)) < count:  # noqa: ASYNC110 - polls the database, not a flag
            await asyncio.sleep(0.01)
    return log


async def test_subscription_delivers_new_events_after_commit(store: EventStore) -> None:
    oid = uuid.uuid4()
    await store.insert_events([stored(oid, 1)])
    received: list[LogNotification] = []

    async def follow() -> None:
        async for notification in store.subscribe(poll_interval=30):
            received.append(notification)
            if len(received) == 3:
                return

    follower = asyncio.create_task(follow())
    async with asyncio.timeout(5):  # the first page, read at once (a loaded machine: allow time)
        while not received:  # noqa: ASYNC110 - waits on a list the follower fills
            await asyncio.sleep(0.01)
    assert [n.originator_version for n in received] == [1]
    async with store.transaction() as conn:
        await store.insert_events([stored(oid, 2)], conn=conn)
        await asyncio.sleep(0.05)
        assert len(received) == 1  # not before it commits
    await store.insert_events([stored(oid, 3)])
    # poll_interval=30: only the NOTIFY after commit can wake the subscriber this fast.
    await asyncio.wait_for(follower, 5)
    assert [n.originator_version for n in received] == [1, 2, 3]


class Counter(Aggregate):
    """A tiny aggregate for the snapshot tests."""

    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self, by: int) -> None:
        self.count += by


async def test_snapshot_insert_select_and_repository_get(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    repository = Repository(store)
    counter = Counter()
    for _ in range(4):
        counter.increment(by=2)
    await repository.save(counter)
    snapshot = repository.mapper.to_stored_event(Snapshot.take(counter))
    await store.insert_snapshot(snapshot)
    await store.insert_snapshot(snapshot)  # taking the same snapshot twice is harmless
    counter.increment(by=5)
    await repository.save(counter)

    assert await store.select_snapshot(counter.id) == snapshot
    assert await store.select_snapshot(counter.id, lte=4) is None
    assert await store.select_snapshot(uuid.uuid4()) is None
    # Prove the load starts from the snapshot: the events it covers are gone.
    await pool.execute(
        "DELETE FROM events WHERE originator_id = $1 AND originator_version <= $2",
        counter.id,
        snapshot.originator_version,
    )
    loaded = await repository.get(counter.id, cls=Counter)
    assert isinstance(loaded, Counter)
    assert (loaded.count, loaded.version) == (13, 6)


async def test_crossed_appends_are_a_concurrency_error_not_a_deadlock_leak(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    """Two commands appending to the same two aggregates in opposite order deadlock in the
    unique index; the one PostgreSQL aborts must see ConcurrencyError so that it is retried."""
    a, b = uuid.uuid4(), uuid.uuid4()

    async def append(conn: asyncpg.Connection, first: uuid.UUID, second: uuid.UUID) -> str:
        try:
            async with conn.transaction():
                await store.insert_events([stored(first, 1)], conn=conn)
                await asyncio.sleep(0.2)  # both have made their first INSERT
                await store.insert_events([stored(second, 1)], conn=conn)
        except ConcurrencyError:
            return "conflict"
        return "ok"

    async with pool.acquire() as one, pool.acquire() as two:
        outcomes = await asyncio.gather(append(one, a, b), append(two, b, a))
    assert sorted(outcomes) == ["conflict", "ok"]
    assert len(await store.select_notifications(None, 10)) == 2
