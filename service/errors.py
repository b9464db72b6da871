"""Errors of the service layer that are about the platform's state, not about a rule."""

from __future__ import annotations

import asyncpg

#: What a lost or overloaded database looks like from asyncpg: the connection went away (a
#: restart, ``pg_terminate_backend``, a network cut), a pool or client-side timeout expired, the
#: server refused a connection, or ``lock_timeout``/``statement_timeout`` cancelled a statement.
_DRIVER: tuple[type[Exception], ...] = (
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.QueryCanceledError,
)
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (OSError, TimeoutError, *_DRIVER)


#: The same, for code that reads outside a command (a page's query): what the web layer answers
#: with 503 too. Not every ``OSError``: only a lost connection means the database is away.
DATABASE_AWAY: tuple[type[Exception], ...] = (
    ConnectionError,
    TimeoutError,
    *_DRIVER,
)


class Unavailable(RuntimeError):
    """Raised when the database cannot serve a command now; try again after ``retry_after`` s.

    ``outcome_unknown`` is True when the connection was lost while the command may have been
    committed: a retry is safe only with the same idempotency key.
    """

    def __init__(self, reason: str, *, retry_after: int = 1, outcome_unknown: bool = False):
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown
        super().__init__(reason)


def unavailable(error: BaseException) -> Unavailable:
    """The :class:`Unavailable` for one of :data:`UNAVAILABLE_ERRORS`."""
    busy = (asyncpg.exceptions.LockNotAvailableError, asyncpg.exceptions.QueryCanceledError)
    if isinstance(error, busy):
        return Unavailable(f"the database is busy ({type(error).__name__}); try again")
    if isinstance(error, TimeoutError):
        return Unavailable("no database connection became free in time; try again")
    return Unavailable(
        f"the database connection was lost ({type(error).__name__}); try again",
        retry_after=2,
        outcome_unknown=True,
    )
