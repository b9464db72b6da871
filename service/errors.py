"""One policy for database and network errors: what each one means, and so what to do about it.

Every caller that talks to PostgreSQL (commands, the projection runner, leadership, sessions, the
web's error mapping) asks :func:`classify` instead of keeping its own list of exception types:

========================  ====================================================  ==================
class                     what happened                                         what to do
========================  ====================================================  ==================
``TRANSIENT``             the transaction lost a race with another one and was  retry at once (with
                          rolled back (serialization failure, deadlock, a       jitter); the
                          standby cancelled a query in conflict with recovery)  outcome is known
``UNAVAILABLE``           the server is away or too busy: the connection was    back off, reconnect,
                          lost or refused, too many connections, a shutdown,    retry; a command's
                          a read-only server (a failover in progress), a        outcome may be
                          database not accepting connections, a lock or         unknown
                          statement timeout, a pool that had no connection
``CONFLICT``              a unique or exclusion constraint, or the project's    re-read and decide
                          own :class:`ConflictError` (a version already taken)  again, or say 409
``PERMANENT``             anything else: a bug, bad data, a missing table       do not retry; report
========================  ====================================================  ==================

The classes go by SQLSTATE (the standard's codes, stable across drivers and server versions), so
a subclass asyncpg adds later is classified by its code, not forgotten by a list.
"""

from __future__ import annotations

import enum
import errno
import socket

import asyncpg


class ErrorClass(enum.Enum):
    """What a database or network error means for the code that met it."""

    TRANSIENT = "transient"
    UNAVAILABLE = "unavailable"
    CONFLICT = "conflict"
    PERMANENT = "permanent"

    @property
    def retryable(self) -> bool:
        """True for errors that go away by themselves: try again (after a pause)."""
        return self in (ErrorClass.TRANSIENT, ErrorClass.UNAVAILABLE)


class ConflictError(RuntimeError):
    """Raised when a write lost to a concurrent one (the base of the store's ConcurrencyError)."""


#: SQLSTATE codes and classes (two-character prefixes) and what they mean.
_TRANSIENT_STATES = ("40",)  # transaction rollback: serialization failure, deadlock, ...
_UNAVAILABLE_STATES = (
    "08",  # connection exception
    "53",  # insufficient resources: too many connections, disk full, out of memory
    "57",  # operator intervention: shutdown, cannot connect now, query cancelled (timeout)
    "58",  # system error: I/O error, undefined file
    "25006",  # read-only SQL transaction: we reached a standby (a failover is under way)
    "55P03",  # lock not available: lock_timeout expired, the table is held by someone else
    # object not in prerequisite state: "database is not currently accepting connections",
    # "recovery is in progress" (a standby, a failover): the server's state, not our data
    "55000",
    "HV00N",  # FDW unable to establish connection
)
_CONFLICT_STATES = ("23505", "23P01")  # unique violation, exclusion violation
#: Socket errors that mean "the server cannot be reached now", not a bug in our code.
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ETIMEDOUT,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.EHOSTUNREACH,
        errno.EHOSTDOWN,
        errno.ENOTCONN,
        errno.EADDRNOTAVAIL,
    }
)


def classify(error: BaseException) -> ErrorClass:
    """The class of ``error`` (see the module's table); PERMANENT for anything unknown."""
    if isinstance(error, ConflictError):
        return ErrorClass.CONFLICT
    if isinstance(error, Unavailable):
        return ErrorClass.UNAVAILABLE
    if isinstance(error, asyncpg.PostgresError):
        return _by_sqlstate(str(getattr(error, "sqlstate", "") or ""))
    if isinstance(error, asyncpg.InterfaceError | asyncpg.exceptions.InternalClientError):
        # The connection is closed or was left unusable by a cancelled statement.
        return ErrorClass.UNAVAILABLE
    if isinstance(error, TimeoutError | ConnectionError | socket.gaierror | socket.herror):
        return ErrorClass.UNAVAILABLE
    if isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS:
        return ErrorClass.UNAVAILABLE
    return ErrorClass.PERMANENT


def _by_sqlstate(state: str) -> ErrorClass:
    if state.startswith(_CONFLICT_STATES):
        return ErrorClass.CONFLICT
    if state.startswith(_UNAVAILABLE_STATES):
        return ErrorClass.UNAVAILABLE
    if state.startswith(_TRANSIENT_STATES):
        return ErrorClass.TRANSIENT
    return ErrorClass.PERMANENT


def is_retryable(error: BaseException) -> bool:
    """True when ``error`` is TRANSIENT or UNAVAILABLE: waiting and trying again can succeed."""
    return classify(error).retryable


#: The exception types :func:`classify` can place in a class other than PERMANENT: what an
#: ``except`` clause catches before asking :func:`classify` (Litestar maps handlers by type).
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
    TimeoutError,
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
    """The :class:`Unavailable` for an error :func:`classify` calls UNAVAILABLE or TRANSIENT."""
    if isinstance(error, Unavailable):
        return error
    state = str(getattr(error, "sqlstate", "") or "")
    if state in ("55P03", "57014") or classify(error) is ErrorClass.TRANSIENT:
        # The statement was refused or rolled back before it could commit: nothing happened.
        return Unavailable(f"the database is busy ({type(error).__name__}); try again")
    if isinstance(error, TimeoutError):
        return Unavailable("no database connection became free in time; try again")
    if state == "25006" or state.startswith("53"):
        # Refused before anything was written: a read-only standby (failover), no resources.
        return Unavailable(
            f"the database cannot take writes now ({type(error).__name__})", retry_after=2
        )
    return Unavailable(
        f"the database connection was lost ({type(error).__name__}); try again",
        retry_after=2,
        outcome_unknown=True,
    )
