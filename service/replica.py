"""Public reads from a streaming replica, never older than what the same client already saw.

:class:`ReadRouter` hands out the pool a public read should use. It sends the read to the replica
(``GRANTS_READ_DATABASE_URL``) when the replica is reachable, at most ``max_lag_ms`` behind the
primary, and has replayed at least the WAL position the client was last served at; otherwise to
the primary. After the page is built the caller asks :meth:`ReadRouter.served` for the position
it was served at and gives it to the client (the web keeps it in a cookie):

- on the replica, ``pg_last_wal_replay_lsn()`` read *after* the page's queries: everything they
  saw had been replayed by then;
- on the primary, ``pg_current_wal_flush_lsn()`` read after the page's queries: every commit they
  saw lies before it.

A replica that has replayed up to a position holds every transaction committed before it, so a
client is never sent to a replica that lacks something it was already shown: its pages, and the
ledger head on them, never go back in time. The replica's lag is checked at most every
``check_every_s`` (one query on each server, shared by every request of the process): zero when
it has replayed what the primary had flushed, else the age of its last replayed transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.errors import DATABASE_ERRORS, is_retryable

if TYPE_CHECKING:
    import asyncpg

logger = logging.getLogger(__name__)

REPLICA_STATE = """
SELECT pg_is_in_recovery(),
       (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint,
       extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000
"""
PRIMARY_FLUSHED = "SELECT (pg_current_wal_flush_lsn() - '0/0'::pg_lsn)::bigint"
REPLICA_REPLAYED = "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint"


@dataclass(frozen=True)
class ReplicaState:
    """The replica as last checked: replayed WAL position, lag, and whether it can serve."""

    replayed: int
    lag_ms: float
    usable: bool
    checked_at: float


@dataclass(frozen=True)
class Route:
    """Where one read goes: the pool, and whether that is the replica."""

    pool: asyncpg.Pool
    replica: bool


class ReadRouter:
    """Chooses the primary or the replica for each public read (see the module docstring)."""

    def __init__(
        self,
        primary: asyncpg.Pool,
        replica: asyncpg.Pool | None,
        *,
        max_lag_ms: int,
        check_every_s: float = 0.2,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.max_lag_ms = max_lag_ms
        self.check_every_s = check_every_s
        self.state: ReplicaState | None = None
        self.routed = {"replica": 0, "primary": 0}
        self._checking = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        """True when a replica is configured."""
        return self.replica is not None

    def status(self) -> dict[str, object]:
        """For ``/healthz``: whether a replica is configured, its last lag, reads routed."""
        state = self.state
        lag = None if state is None or state.lag_ms == float("inf") else round(state.lag_ms, 1)
        return {
            "replica": self.enabled,
            "replica_usable": state.usable if state else None,
            "lag_ms": lag,
            "routed": dict(self.routed),
        }

    async def route(self, seen: int | None) -> Route:
        """The pool for a read by a client last served at WAL position ``seen`` (None: new)."""
        if self.replica is not None:
            state = await self._state()
            if state.usable and state.lag_ms <= self.max_lag_ms and state.replayed >= (seen or 0):
                self.routed["replica"] += 1
                return Route(self.replica, replica=True)
        self.routed["primary"] += 1
        return Route(self.primary, replica=False)

    async def served(self, route: Route) -> int:
        """The WAL position a read on ``route`` was served at (call it after the read)."""
        sql = REPLICA_REPLAYED if route.replica else PRIMARY_FLUSHED
        return int(await route.pool.fetchval(sql))

    async def _state(self) -> ReplicaState:
        state = self.state
        if state is not None and time.monotonic() - state.checked_at < self.check_every_s:
            return state
        async with self._checking:  # one check at a time; the others reuse its answer
            if self.state is not None and self.state is not state:
                return self.state
            self.state = await self._check()
            return self.state

    async def _check(self) -> ReplicaState:
        assert self.replica is not None
        now = time.monotonic()
        try:
            flushed = int(await self.primary.fetchval(PRIMARY_FLUSHED))
            recovering, replayed, age_ms = await self.replica.fetchrow(REPLICA_STATE)
        except DATABASE_ERRORS as error:
            if not is_retryable(error):
                raise
            logger.warning("replica not checked (%s): public reads go to the primary", error)
            return ReplicaState(0, float("inf"), usable=False, checked_at=now)
        if not recovering or replayed is None:
            # Promoted (a failover) or not a standby at all: its positions mean nothing here.
            return ReplicaState(0, float("inf"), usable=False, checked_at=now)
        lag = 0.0 if replayed >= flushed else float(age_ms if age_ms is not None else "inf")
        return ReplicaState(int(replayed), lag, usable=True, checked_at=now)
