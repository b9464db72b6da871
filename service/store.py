"""The event store on asyncpg: eventsourcing's ``ApplicationRecorder``, async and lock-free.

Method names and meanings follow eventsourcing's recorder (``insert_events``, ``select_events``,
``select_notifications``, ``max_notification_id``, ``subscribe``) so that people who know the
library feel at home. One difference runs through the log methods: the library's log position is
a notification id, ours is a :class:`Position`, the pair ``(tx_id, notification_id)``.

Why the pair: notification ids are handed out when a row is inserted, not when its transaction
commits, so a reader that trusts them alone can pass over an event whose transaction commits
late. eventsourcing avoids that by locking the table for every append, which serialises writers.
Here every row also records the id of the transaction that wrote it, and readers only go as far
as the read fence (:data:`FENCE`, see :meth:`EventStore.fence`): every transaction below it that
could write to this database has finished, so nothing can still appear behind the reader's
cursor, and writers never wait for each other. The fence ignores transactions that belong to
other databases on the same server, so a long transaction elsewhere does not stall the readers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Notification, StoredEvent

from service.errors import ConflictError
from service.live import PROJECTIONS_CHANNEL, SESSIONS_CHANNEL, LiveFeed, Waker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

logger = logging.getLogger(__name__)

CHANNEL = "grants_events"

INSERT_ONE = """
INSERT INTO events (originator_id, originator_version, topic, state)
VALUES ($1, $2, $3, $4)
RETURNING notification_id
"""
INSERT_MANY = """
INSERT INTO events (originator_id, originator_version, topic, state)
SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[])
RETURNING notification_id
"""
#: A bound left open is the widest bigint, not ``$2 IS NULL OR ...``: PostgreSQL plans a prepared
#: statement once for all parameters after five runs, and that generic plan cannot bound an index
#: scan by an OR; it read every event of the aggregate and filtered them, so that loading an
#: envelope from its snapshot or cache cost in proportion to its history (2 ms at 20,000 events,
#: every funding decision inside the envelope's lock; tests/integration/test_generic_plans.py).
SELECT_EVENTS = """
SELECT originator_id, originator_version, topic, state FROM events
WHERE originator_id = $1
  AND originator_version > coalesce($2::bigint, -9223372036854775808)
  AND originator_version <= coalesce($3::bigint, 9223372036854775807)
ORDER BY originator_version {order}
LIMIT $4
"""
#: The read fence: the oldest transaction still in progress that may write to this database, or
#: the snapshot's ``xmax`` when there is none (the proof is in :meth:`EventStore.fence`). A
#: scalar subquery without outer references: PostgreSQL evaluates it once per statement.
FENCE = """(
  SELECT coalesce(min(x.xid), pg_snapshot_xmax(pg_current_snapshot()))
  FROM pg_snapshot_xip(pg_current_snapshot()) AS x(xid)
  WHERE NOT EXISTS (
      SELECT 1 FROM pg_stat_activity a
      WHERE a.backend_xid = x.xid::xid
        AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))
    AND NOT EXISTS (
      SELECT 1 FROM pg_prepared_xacts p
      WHERE p.transaction = x.xid::xid AND p.database <> current_database())
)"""
SELECT_FENCE = f"SELECT {FENCE}"
SELECT_NOTIFICATIONS = f"""
SELECT originator_id, originator_version, topic, state, notification_id, tx_id FROM events
WHERE (tx_id, notification_id) > ($1::xid8, $2::bigint)
  AND tx_id < {FENCE}
  AND (cardinality($4::text[]) = 0 OR topic = ANY($4::text[]))
ORDER BY tx_id, notification_id
LIMIT $3
"""
SELECT_HEAD = f"""
SELECT tx_id, notification_id FROM events
WHERE tx_id < {FENCE}
ORDER BY tx_id DESC, notification_id DESC LIMIT 1
"""
SELECT_HELD_BACK = f"""
SELECT EXISTS (
  SELECT 1 FROM events
  WHERE (tx_id, notification_id) > ($1::xid8, $2::bigint)
    AND tx_id >= {FENCE}
)
"""
COUNT_AFTER = """
SELECT count(*) FROM events
WHERE (tx_id, notification_id) > ($1::xid8, $2::bigint)
"""
INSERT_SNAPSHOT = """
INSERT INTO snapshots (originator_id, originator_version, topic, state)
VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
"""
SELECT_SNAPSHOT = """
SELECT originator_id, originator_version, topic, state FROM snapshots
WHERE originator_id = $1 AND originator_version <= coalesce($2::bigint, 9223372036854775807)
ORDER BY originator_version DESC LIMIT 1
"""
NOTIFY = "SELECT pg_notify($1, '')"
LISTENING_POLL_S = 10.0


class ConcurrencyError(ConflictError):
    """Raised when an aggregate version was already taken: another command changed it first."""


class Position(NamedTuple):
    """A place in the event log: after every event whose ``(tx_id, notification_id)`` is lower."""

    tx_id: int
    notification_id: int


START = Position(0, 0)


@dataclass(frozen=True)
class LogNotification(Notification):
    """eventsourcing's ``Notification`` with the id of the transaction that wrote it."""

    tx_id: int

    @property
    def position(self) -> Position:
        """The cursor to read from to get the events after this one."""
        return Position(self.tx_id, self.id)


class EventStore:
    """Appends events atomically and reads them back per aggregate and as one ordered log."""

    def __init__(self, pool: asyncpg.Pool, *, channel: str = CHANNEL) -> None:
        self.pool = pool
        self.channel = channel
        self._dirty = asyncio.Event()
        self._notifier: asyncio.Task[None] | None = None
        self._feed: LiveFeed | None = None

    @property
    def feed(self) -> LiveFeed:
        """The process's one LISTEN connection for this store, shared by every subscriber."""
        if self._feed is None:
            channels = (self.channel, PROJECTIONS_CHANNEL, SESSIONS_CHANNEL)
            self._feed = LiveFeed(self.pool, channels)
        return self._feed

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A short transaction for a command: read aggregates, then append; notify after commit."""
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn
        self.notify()

    async def insert_events(
        self, stored_events: Sequence[StoredEvent], *, conn: asyncpg.Connection | None = None
    ) -> list[int]:
        """Append events of one or more aggregates, all or nothing; return notification ids.

        Inside :meth:`transaction` pass its connection; otherwise the append is its own
        transaction. A version that is already taken raises :class:`ConcurrencyError`.
        """
        if not stored_events:
            return []
        if conn is None:
            # One INSERT statement is atomic on its own: no BEGIN and COMMIT round trips.
            async with self.pool.acquire() as own:
                ids = await self._insert(own, stored_events)
            self.notify()
            return ids
        return await self._insert(conn, stored_events)

    async def _insert(
        self, conn: asyncpg.Connection, stored_events: Sequence[StoredEvent]
    ) -> list[int]:
        try:
            if len(stored_events) == 1:
                e = stored_events[0]
                row = await conn.fetchval(
                    INSERT_ONE, e.originator_id, e.originator_version, e.topic, e.state
                )
                return [row]
            rows = await conn.fetch(
                INSERT_MANY,
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            )
        except asyncpg.UniqueViolationError as error:
            raise ConcurrencyError(error.detail or "aggregate version already taken") from None
        except asyncpg.DeadlockDetectedError as error:
            # Two commands appending to the same aggregates in opposite order wait on each
            # other's index entries; the one PostgreSQL aborts lost the race for a version just
            # as surely as with a unique violation, and must be retried. (A lock_timeout is not
            # a lost race but a database too busy to answer: it surfaces as Unavailable.)
            raise ConcurrencyError(f"aggregate version contended: {error}") from None
        return [row[0] for row in rows]

    async def select_events(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[StoredEvent]:
        """One aggregate's events with ``gt < version <= lte``, ascending unless ``desc``."""
        sql = SELECT_EVENTS.format(order="DESC" if desc else "ASC")
        rows = await (conn or self.pool).fetch(sql, originator_id, gt, lte, limit)
        # A plain UUID, not asyncpg's subclass from the rows: the loaded aggregate's id ends up
        # in other aggregates' events and in results, where it should compare and type as usual.
        plain = UUID(int=originator_id.int)
        return [StoredEvent(plain, r[1], r[2], r[3]) for r in rows]

    async def select_notifications(
        self,
        after: Position | None,
        limit: int,
        *,
        topics: Sequence[str] = (),
        conn: asyncpg.Connection | None = None,
    ) -> list[LogNotification]:
        """Up to ``limit`` log entries strictly after the cursor ``after`` (None: from the start).

        Unlike eventsourcing's ``select_notifications(start, ...)``, which is inclusive of a
        notification id, this reads after a :class:`Position`, below the snapshot fence, so a
        reader never skips an event that commits late.
        """
        tx_id, notification_id = after or START
        rows = await (conn or self.pool).fetch(
            SELECT_NOTIFICATIONS, tx_id, notification_id, limit, list(topics)
        )
        return [LogNotification(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    async def max_notification_id(self) -> Position | None:
        """The position of the last event a reader can see now (None for an empty log)."""
        row = await self.pool.fetchrow(SELECT_HEAD)
        return Position(row[0], row[1]) if row else None

    async def fence(self) -> int:
        """The read fence now: readers see the events of transactions below it, and no others.

        The fence ``F`` is the least id in the current snapshot's ``xip`` (the transactions in
        progress when the snapshot was taken) that cannot be placed in another database, or the
        snapshot's ``xmax`` when there is none. Why no event can be skipped: a reader that reads
        ``tx_id < F`` and moves its cursor past what it read skips an event only if a transaction
        ``T < F`` commits an event into this table after the read. Every ``T < xmax`` not in
        ``xip`` had finished when the snapshot was taken (the definition of a snapshot), so its
        events, if it committed, are all visible to the very statement that computed ``F`` and
        none can appear later. A ``T`` in ``xip`` below ``F`` was excluded only because
        ``pg_stat_activity`` showed a server process connected to another database holding
        ``T`` as its transaction, or ``pg_prepared_xacts`` showed ``T`` prepared in another
        database; a transaction lives in the one database its session connected to, so ``T``
        cannot write to this table. The placement is read after the snapshot, but a stale or
        incomplete view only ever fails to place a transaction (xids are never reused while in
        progress, and the 32-bit ``backend_xid`` equals ``T`` modulo 2^32 only for ``T`` itself,
        since live xids are never 2^31 apart); an unplaced one, a session whose ``backend_xid``
        we may not see (without ``pg_read_all_stats`` it reads NULL) or a background process
        without a database are all treated as ours. Hence every ``T < F`` either finished
        before the snapshot or never writes here. (The old fence, the snapshot's ``xmin``, is
        the same rule with every transaction treated as ours.)
        """
        return int(await self.pool.fetchval(SELECT_FENCE))

    async def count_after(self, after: Position | None) -> int:
        """How many committed events lie after ``after``: a projection's lag in events."""
        return int(await self.pool.fetchval(COUNT_AFTER, *(after or START)))

    async def held_back(self, after: Position | None, *, conn: Any = None) -> bool:
        """True when committed events after ``after`` wait behind a still-open transaction
        (asked on ``conn``, a connection or a pool, when given)."""
        return bool(await (conn or self.pool).fetchval(SELECT_HELD_BACK, *(after or START)))

    async def insert_snapshot(self, snapshot: StoredEvent) -> None:
        """Keep an aggregate's state at a version, so loading it needs only later events."""
        await self.pool.execute(
            INSERT_SNAPSHOT,
            snapshot.originator_id,
            snapshot.originator_version,
            snapshot.topic,
            snapshot.state,
        )

    async def select_snapshot(
        self, originator_id: UUID, *, lte: int | None = None, conn: Any = None
    ) -> StoredEvent | None:
        """The latest snapshot of an aggregate at or below version ``lte``."""
        row = await (conn or self.pool).fetchrow(SELECT_SNAPSHOT, originator_id, lte)
        return StoredEvent(UUID(int=originator_id.int), row[1], row[2], row[3]) if row else None

    async def subscribe(
        self,
        gt: Position | None = None,
        *,
        topics: Sequence[str] = (),
        page_size: int = 500,
        poll_interval: float = 1.0,
    ) -> AsyncIterator[LogNotification]:
        """Every event after ``gt``, then each new one as it commits, in log order, forever."""
        cursor = gt or START
        async with self.listener(poll_interval=poll_interval) as wake:
            while True:
                page = await self.select_notifications(cursor, page_size, topics=topics)
                for notification in page:
                    yield notification
                if page:
                    cursor = page[-1].position
                    continue
                await wake.wait(await self.held_back(cursor))

    @contextlib.asynccontextmanager
    async def listener(self, *, poll_interval: float = 1.0) -> AsyncIterator[Waker]:
        """A waker on the store's channel, fed by the process's one LISTEN (:attr:`feed`).

        ``poll_interval`` applies only while the LISTEN connection is being re-established (the
        bridge); while it listens, a safety poll every :data:`LISTENING_POLL_S` at most covers a
        NOTIFY that could not be sent.
        """
        channels = frozenset({self.channel})
        quiet = max(poll_interval, LISTENING_POLL_S)
        async with self.feed.listener(
            poll_interval=poll_interval, quiet_interval=quiet, channels=channels
        ) as waker:
            yield waker

    def notify(self) -> None:
        """Wake the subscribers after a commit; notifications are debounced into few NOTIFYs."""
        self._dirty.set()
        if self._notifier is None or self._notifier.done():
            self._notifier = asyncio.get_running_loop().create_task(self._send_notifications())

    async def _send_notifications(self) -> None:
        while self._dirty.is_set():
            self._dirty.clear()
            try:
                await self.feed.notify(self.pool, self.channel)
            except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as error:
                # Subscribers poll as well, so a lost wake-up only costs them a poll interval.
                logger.warning("could not notify subscribers: %s", type(error).__name__)
                return
            # No fixed pause: commits made while this NOTIFY was on its way share the next one
            # (the round trip itself batches them under load), and a lone commit is not delayed.

    async def close(self) -> None:
        """Send a last pending notification, stop the notifier and the live feed."""
        if self._notifier is not None and not self._notifier.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._notifier, 1.0)
        if self._feed is not None:
            await self._feed.close()
