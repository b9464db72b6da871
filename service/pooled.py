"""Pooled connections that go back to the pool without a round trip when they hold no session state.

asyncpg resets every connection handed back to its pool with
``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``: one more round trip on
the critical path of every ``async with pool.acquire()`` and every ``pool.fetch``. A third of the
statements of an API submission and a quarter of the live projections' were these resets
(issue 16, counted with a query log). Almost no connection needs it: the platform's statements
leave nothing behind them but a few do (leadership's session advisory locks, the live feed's
LISTEN, a session-level ``SET``). :class:`Connection` notes when a statement *could* leave
session state, by its text, and :func:`reset` runs asyncpg's reset query only then.

The test is deliberately coarse and errs towards resetting: any statement that names a session
advisory lock, ``LISTEN``, ``set_config``, ``PREPARE``, ``DECLARE``, ``DISCARD``, a temporary
table, or starts with ``SET``/``RESET`` other than ``SET LOCAL``. Transaction-scoped state
(``SET LOCAL``, ``pg_advisory_xact_lock``) ends with the transaction, and asyncpg rolls back a
transaction left open before any reset (``Connection._reset``, run by the pool in every case).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import asyncpg

LEAVES_STATE = re.compile(
    r"""pg_(?:try_)?advisory_lock(?:_shared)?\s*\(   # session-level advisory locks
      | \b(?:LISTEN|set_config|PREPARE|DECLARE|DISCARD)\b
      | \bTEMP(?:ORARY)?\s+TABLE\b
      | (?:^|;)\s*(?:SET|RESET)\s+(?!LOCAL\b)         # SET/RESET as a statement, not SET LOCAL
    """,
    re.IGNORECASE | re.VERBOSE,
)


@functools.lru_cache(maxsize=4096)  # statements are constants: each text is looked at once
def leaves_state(query: str) -> bool:
    """True when ``query`` may leave state in the session after its transaction ends."""
    return LEAVES_STATE.search(query) is not None


class Connection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg ships no types
    """asyncpg's connection, noting statements that may leave session state (see the module)."""

    __slots__ = ("session_state",)

    def _note(self, query: str) -> None:
        if leaves_state(query):
            self.session_state = True

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """:meth:`asyncpg.Connection.execute`, noted."""
        self._note(query)
        return await super().execute(query, *args, **kwargs)

    async def executemany(self, command: str, args: Any, **kwargs: Any) -> Any:
        """:meth:`asyncpg.Connection.executemany`, noted."""
        self._note(command)
        return await super().executemany(command, args, **kwargs)

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """:meth:`asyncpg.Connection.fetch`, noted."""
        self._note(query)
        return await super().fetch(query, *args, **kwargs)

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """:meth:`asyncpg.Connection.fetchval`, noted."""
        self._note(query)
        return await super().fetchval(query, *args, **kwargs)

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """:meth:`asyncpg.Connection.fetchrow`, noted."""
        self._note(query)
        return await super().fetchrow(query, *args, **kwargs)

    async def fetchmany(self, query: str, args: Any, **kwargs: Any) -> Any:
        """:meth:`asyncpg.Connection.fetchmany`, noted."""
        self._note(query)
        return await super().fetchmany(query, args, **kwargs)

    async def prepare(self, query: str, **kwargs: Any) -> Any:
        """:meth:`asyncpg.Connection.prepare`, noted."""
        self._note(query)
        return await super().prepare(query, **kwargs)

    def cursor(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """:meth:`asyncpg.Connection.cursor`, noted."""
        self._note(query)
        return super().cursor(query, *args, **kwargs)

    async def add_listener(self, channel: str, callback: Any) -> None:
        """:meth:`asyncpg.Connection.add_listener` (a ``LISTEN``), noted."""
        self.session_state = True
        await super().add_listener(channel, callback)


async def reset(conn: Connection) -> None:
    """The pool's reset: asyncpg's reset query only for a connection that may need it.

    The pool has already rolled back any open transaction and dropped the listener callbacks.
    """
    if getattr(conn, "session_state", False):
        query = conn.get_reset_query()
        if query:
            await asyncpg.Connection.execute(conn, query)
        conn.session_state = False
