"""Leadership by PostgreSQL session advisory locks held on one dedicated connection.

The lock lives as long as the connection: when a leader stops, its connection goes back to the
pool (asyncpg's reset runs ``pg_advisory_unlock_all()``); when the leader's process or
connection dies, the server frees the lock at once and a standby takes it at its next try.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import asyncpg

from service.errors import DATABASE_ERRORS, is_retryable

TRY_LOCK = "SELECT pg_try_advisory_lock(hashtext($1))"
UNLOCK = "SELECT pg_advisory_unlock(hashtext($1))"
HEARTBEAT_EVERY = 1.0  # seconds between liveness checks of the lock connection


class Leadership:
    """Tries, keeps and releases advisory locks for the runners of one process."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._conn: asyncpg.pool.PoolConnectionProxy | None = None
        self._mutex = asyncio.Lock()  # one connection: one statement at a time
        self._checked = 0.0

    async def try_lead(self, key: str) -> bool:
        """Take the lock ``key`` if it is free (or already ours)."""
        async with self._mutex:
            if self._conn is None:
                self._conn = await self.pool.acquire()
            return bool(await self._conn.fetchval(TRY_LOCK, key))

    async def alive(self) -> bool:
        """False once the lock connection is gone (and with it every lock it held)."""
        if self._conn is None:
            return False
        if time.monotonic() - self._checked < HEARTBEAT_EVERY:
            return True
        async with self._mutex:
            try:
                await self._conn.fetchval("SELECT 1", timeout=5)
            except DATABASE_ERRORS as error:
                # Whatever failed, a lock connection we cannot trust must go, with its locks;
                # only what service.errors calls retryable is a normal loss of leadership.
                await self._drop()
                if not is_retryable(error):
                    raise
                return False
        self._checked = time.monotonic()
        return True

    async def release(self, key: str) -> None:
        """Give up the lock ``key`` so a standby can take it."""
        async with self._mutex:
            if self._conn is not None:
                try:
                    await self._conn.fetchval(UNLOCK, key)
                except DATABASE_ERRORS as error:
                    await self._drop()
                    if not is_retryable(error):
                        raise

    async def reset(self) -> None:
        """Forget a connection that failed, with all its locks."""
        async with self._mutex:
            await self._drop()

    async def close(self) -> None:
        """Release every lock by handing the connection back."""
        await self.reset()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await self.pool.release(conn, timeout=5)
        except BaseException:
            # A connection that cannot be handed back cleanly must not keep its locks alive.
            # (If the pool took it back before failing, it has already closed it itself.)
            with contextlib.suppress(asyncpg.InterfaceError):
                conn.terminate()
            with contextlib.suppress(*DATABASE_ERRORS):
                await self.pool.release(conn, timeout=1)
