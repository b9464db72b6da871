"""Running a command: load aggregates, decide, append, in one short transaction.

Every use case is a small ``decide`` function handed to :func:`execute`, which

- reads the aggregates the decision needs inside the transaction (so the append that follows
  is the transaction's first write, keeping the window between ``tx_id`` and commit short);
- appends the new events of every changed aggregate atomically (several aggregates when a rule
  spans them, as funding does with the application and the envelope);
- retries the whole decision a bounded number of times on :class:`ConcurrencyError` and on a
  TRANSIENT error (:mod:`service.errors`: a serialization failure or deadlock rolled it back);
- turns an UNAVAILABLE error (a lost connection, a pool wait, a lock/statement timeout, a
  read-only server during failover, too many connections) into
  :class:`service.errors.Unavailable` (HTTP 503 with ``Retry-After``), failing fast;
- honours an idempotency key: a key already handled returns the first result and appends
  nothing, and two concurrent commands with one key append once: they queue on a transaction
  advisory lock of the key, so the second finds the first's result (without it, the second
  could read the key as free just before the first committed, then decide on the first's
  changes: "already funded" instead of the first's answer); the key's primary key stays the
  last guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg

from service.clock import Clock, database_now
from service.errors import DATABASE_ERRORS, ConflictError, ErrorClass, classify, unavailable
from service.repository import Repository
from service.store import ConcurrencyError, EventStore
from service.transcoder import MsgspecTranscoder

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from datetime import datetime
    from uuid import UUID

    from eventsourcing.domain import Aggregate

logger = logging.getLogger(__name__)
R = TypeVar("R")
A = TypeVar("A", bound="Aggregate")

#: Commands carrying the same idempotency key queue here, so that the second reads the first's
#: result instead of deciding again on what the first changed (the 64-bit hash of the scoped key;
#: a collision only makes two unrelated commands wait for each other's short transaction).
LOCK_KEY = "SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))"
SELECT_KEY = "SELECT result FROM idempotency_keys WHERE scope = $1 AND key = $2"
INSERT_KEY = "INSERT INTO idempotency_keys (scope, key, result) VALUES ($1, $2, $3)"
SELECT_NOW = "SELECT now()"
MAX_ATTEMPTS = 8
BACKOFF_S = 0.001
_results = MsgspecTranscoder()


@dataclass
class CommandMetrics:
    """Counters the benchmark reads: commands run and retries after a ``ConcurrencyError``."""

    commands: int = 0
    retries: int = 0

    def reset(self) -> None:
        """Start counting afresh."""
        self.commands = self.retries = 0


#: Process-wide counters; cheap integers, read by ``bench.usecases`` (and by nobody else yet).
metrics = CommandMetrics()


class CommandConflictError(ConflictError):
    """Raised when a command still conflicts with concurrent ones after every retry."""


@dataclass
class Unit:
    """What a decision sees: aggregates loaded in the command's transaction, and what it changed."""

    conn: asyncpg.Connection
    repository: Repository
    changed: list[Aggregate] = field(default_factory=list)
    #: The transaction's ``now()`` once read (it is constant within a transaction); a statement
    #: that returns it alongside its own result may set it and spare :meth:`now` a round trip.
    database_time: datetime | None = None

    async def get(self, aggregate_id: UUID, cls: type[A]) -> A:
        """Load an aggregate and remember it, so its new events are appended at the end."""
        aggregate = await self.repository.get(aggregate_id, conn=self.conn, cls=cls, take=True)
        self.changed.append(aggregate)
        return aggregate

    def add(self, aggregate: Aggregate) -> None:
        """Register a newly created aggregate."""
        self.changed.append(aggregate)

    async def now(self, clock: Clock = database_now) -> datetime:
        """The command's time: the database's ``now()`` unless a test or the demo set a clock.

        ``now()`` is the transaction's start on the database server, so no app server's clock
        (skewed, or set by hand) decides a deadline or orders anything.
        """
        if clock is not database_now:
            return clock()
        if self.database_time is None:
            self.database_time = await self.conn.fetchval(SELECT_NOW)
        return self.database_time


async def execute(
    store: EventStore,
    decide: Callable[[Unit], Awaitable[R]],
    *,
    idempotency: tuple[str, str | None] | None = None,
    attempts: int = MAX_ATTEMPTS,
    single_write: bool = False,
) -> R:
    """Run ``decide`` in a transaction and append what it changed; see the module docstring.

    ``single_write``: the append is the command's only write (a submission), so no transaction
    is opened: ``decide`` reads with one statement each, as it would under READ COMMITTED, and
    the append is one INSERT, atomic on its own. That spares BEGIN and COMMIT (two of a
    submission's round trips) and shrinks the append's transaction, which holds back every log
    reader's fence, to that one statement. An idempotency key still gets a transaction: its
    row must commit with the append.
    """
    scope, key = idempotency if idempotency else ("", None)
    atomic = key is not None or not single_write
    repository = Repository(store)
    metrics.commands += 1
    try:
        for attempt in range(attempts):
            if attempt:
                repository.let_go()
                metrics.retries += 1
                # Jitter spreads out commands that collided, so they do not collide again in step.
                await asyncio.sleep(random.uniform(0, BACKOFF_S * 2**attempt))  # noqa: S311
            try:
                async with _connection(store, atomic=atomic) as conn:
                    if key is not None:
                        await conn.execute(LOCK_KEY, scope, key)
                        stored = await conn.fetchval(SELECT_KEY, scope, key)
                        if stored is not None:
                            return _results.decode(stored)["result"]  # type: ignore[no-any-return]
                    unit = Unit(conn, repository)
                    result = await decide(unit)
                    appended = [(a, len(a.pending_events)) for a in unit.changed]
                    await repository.save(*unit.changed, conn=conn)
                    if key is not None:
                        await _record_key(conn, scope, key, result)
            except ConcurrencyError:
                logger.debug("command conflicted, retrying")
                continue
            except DATABASE_ERRORS as error:
                kind = classify(error)
                if kind is ErrorClass.TRANSIENT:  # rolled back by the server: nothing happened
                    logger.debug("command rolled back (%s), retrying", type(error).__name__)
                    continue
                if kind is ErrorClass.UNAVAILABLE:
                    # Not retried here: after a lost connection the commit may have happened, and
                    # only the caller knows whether an idempotency key makes a retry safe.
                    raise unavailable(error) from error
                raise
            # After commit: a snapshot must not outlive a rollback.
            for aggregate, count in appended:
                try:
                    await repository.snapshot_if_due(aggregate, appended=count)
                except DATABASE_ERRORS as error:  # committed already: a snapshot is only a cache
                    if not classify(error).retryable:
                        raise
                    logger.warning("snapshot skipped: %s", type(error).__name__)
            # After commit (never an undone state) and after the snapshots (taken from aggregates
            # no other command holds yet): the cached ones wait in memory for the next command,
            # and a command of this process waiting for one of them goes on (AggregateCache).
            repository.keep(*unit.changed)
            return result
        raise CommandConflictError(
            "the command kept conflicting with concurrent changes; try again"
        )
    finally:
        repository.let_go()  # what a failed or conflicting attempt took out goes back to nobody


@contextlib.asynccontextmanager
async def _connection(store: EventStore, *, atomic: bool) -> AsyncIterator[asyncpg.Connection]:
    """The command's transaction, or (``atomic`` False) a bare connection, subscribers notified
    after it was handed back either way."""
    if atomic:
        async with store.transaction() as conn:
            yield conn
        return
    async with store.pool.acquire() as conn:
        yield conn
    store.notify()


async def _record_key(conn: asyncpg.Connection, scope: str, key: str, result: Any) -> None:
    try:
        await conn.execute(INSERT_KEY, scope, key, _results.encode({"result": result}))
    except asyncpg.UniqueViolationError:
        raise ConcurrencyError("idempotency key taken by a concurrent command") from None
