"""One live fan-out per process: one LISTEN connection wakes every subscriber in the process.

:class:`LiveFeed` holds the process's only LISTEN connection (on the event store's channel and on
:data:`PROJECTIONS_CHANNEL`, where a projection runner announces each page it applied) and hands
each notification to every :class:`Waker` registered with it: the projection runners, the
store's subscriptions, and the :class:`Broadcast` values behind the Server-Sent Events streams.
The database work of a live stream therefore does not grow with its viewers: a broadcast reads
its value once per change and every viewer receives the same value.

A lost LISTEN connection (a restart, ``pg_terminate_backend``, a network cut) is noticed at once
(asyncpg's termination callback) or at the next heartbeat, and re-established with exponential
backoff and jitter. Until it is back the feed is ``polling``: every waker returns after its own
poll interval, so subscribers keep up, a little late; polling is only the bridge. Once
listening again, every waker is woken once, since notifications sent meanwhile were lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from typing import TYPE_CHECKING, Generic, Literal, TypeVar, cast

from service.errors import DATABASE_ERRORS, is_retryable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    import asyncpg

logger = logging.getLogger(__name__)

PROJECTIONS_CHANNEL = "grants_projections"
#: Sessions and accounts that changed (payload: a session's id hash in hex, or ``u<user id>``);
#: written by triggers (migration 0150) so that every process's session cache forgets them.
SESSIONS_CHANNEL = "grants_sessions"
NOTIFY_PROJECTION = "SELECT pg_notify($1, $2)"
HEARTBEAT = "SELECT 1"
Mode = Literal["idle", "listening", "polling", "stopped"]
T = TypeVar("T")


class Waker:
    """Waits for a notification, or a poll interval, or a short back-off while events are held.

    ``quiet_interval`` (default: ``poll_interval``) is the longer safety poll used while the feed
    is listening; ``poll_interval`` applies while it is not (the bridge).
    """

    def __init__(
        self,
        poll_interval: float,
        *,
        quiet_interval: float | None = None,
        channels: frozenset[str] | None = None,
        feed: LiveFeed | None = None,
    ) -> None:
        self.poll_interval = poll_interval
        self.quiet_interval = poll_interval if quiet_interval is None else quiet_interval
        self.channels = channels
        self.feed = feed
        self._event = asyncio.Event()
        self._backoff = 0.001

    def on_notify(self, *_args: object) -> None:
        """asyncpg's listener callback (and the feed's)."""
        self._event.set()

    def wants(self, channel: str) -> bool:
        """True when this waker follows ``channel``."""
        return self.channels is None or channel in self.channels

    async def wait(self, held_back: bool = False) -> None:
        """Return on a notification or after the poll interval (a short one when held back)."""
        if held_back:
            timeout = self._backoff
            self._backoff = min(self._backoff * 2, 0.05)
        else:
            listening = self.feed is None or self.feed.mode == "listening"
            timeout = self.quiet_interval if listening else self.poll_interval
            self._backoff = 0.001
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
        self._event.clear()


class LiveFeed:
    """The process's one LISTEN connection, re-established with backoff, fanned out to wakers."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        channels: tuple[str, ...],
        *,
        heartbeat_s: float = 5.0,
        backoff_s: float = 0.1,
        backoff_cap_s: float = 5.0,
    ) -> None:
        self.pool = pool
        self.channels = channels
        self.heartbeat_s = heartbeat_s
        self.backoff_s = backoff_s
        self.backoff_cap_s = backoff_cap_s
        self.mode: Mode = "idle"
        self.since = time.monotonic()
        self.connections = 0  # LISTEN connections opened so far (1 + reconnections)
        self.last_error: str | None = None
        self.backend_pid: int | None = None  # the LISTEN connection's server process
        self._wakers: set[Waker] = set()
        #: Callbacks given each payload of a channel, and ``None`` whenever notifications may
        #: have been missed (the feed stopped listening or listens again).
        self._followers: dict[str, list[Callable[[str | None], None]]] = {}
        self._conn: asyncpg.Connection | None = None
        self._speaking = asyncio.Lock()  # one statement at a time on the LISTEN connection
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    def waker(
        self,
        poll_interval: float,
        *,
        quiet_interval: float | None = None,
        channels: frozenset[str] | None = None,
    ) -> Waker:
        """A new waker fed by this feed (the feed starts with its first waker)."""
        waker = Waker(poll_interval, quiet_interval=quiet_interval, channels=channels, feed=self)
        self._wakers.add(waker)
        self.start()
        return waker

    def follow(self, channel: str, callback: Callable[[str | None], None]) -> None:
        """Hand every payload on ``channel`` to ``callback`` (and ``None`` when some may have
        been missed) for as long as the feed runs; the feed starts and keeps running."""
        self._followers.setdefault(channel, []).append(callback)
        self.start()

    async def notify(self, pool: asyncpg.Pool, channel: str, payload: str = "") -> None:
        """Send a notification, on the LISTEN connection while there is one: no pool
        connection to take and no reset to run when it goes back (one round trip, not two)."""
        if not self._speaking.locked():  # busy (a heartbeat, another notify): never queue
            async with self._speaking:  # the connection is ours until _listen lets it go
                conn = self._conn
                if conn is not None and not conn.is_closed():
                    await conn.execute(NOTIFY_PROJECTION, channel, payload)
                    return
        await pool.execute(NOTIFY_PROJECTION, channel, payload)

    def discard(self, waker: Waker) -> None:
        """Stop feeding ``waker``; the last one gone (and no follower), the LISTEN connection
        goes back to the pool (a pool being closed waits for every connection it lent)."""
        self._wakers.discard(waker)
        if not self._wakers and not self._followers and self._task is not None:
            self._task.cancel()
            self._task = None
            self._set_mode("idle")

    @contextlib.asynccontextmanager
    async def listener(
        self,
        *,
        poll_interval: float = 1.0,
        quiet_interval: float | None = None,
        channels: frozenset[str] | None = None,
    ) -> AsyncIterator[Waker]:
        """A waker for as long as the block runs."""
        waker = self.waker(poll_interval, quiet_interval=quiet_interval, channels=channels)
        try:
            yield waker
        finally:
            self.discard(waker)

    def start(self) -> None:
        """Open the LISTEN connection in the background, unless already running."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="live-feed")

    async def wait_listening(self) -> None:
        """Wait until the LISTEN connection is up (callers bound it with ``asyncio.timeout``)."""
        await self._listening.wait()

    def status(self) -> dict[str, object]:
        """For ``/healthz``: the mode, since when (seconds), connections opened, last error."""
        return {
            "mode": self.mode,
            "for_seconds": round(time.monotonic() - self.since, 3),
            "connections": self.connections,
            "last_error": self.last_error,
        }

    async def close(self) -> None:
        """Stop listening and release the connection."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_mode("stopped")

    def _set_mode(self, mode: Mode) -> None:
        if mode != self.mode:
            self.mode, self.since = mode, time.monotonic()
        if mode == "listening":
            self._listening.set()
        else:
            self._listening.clear()

    def _dispatch(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        for waker in list(self._wakers):
            if waker.wants(channel):
                waker.on_notify()
        for callback in self._followers.get(channel, ()):
            callback(payload)

    def _wake_all(self) -> None:
        for waker in list(self._wakers):
            waker.on_notify()
        for callbacks in self._followers.values():
            for callback in callbacks:
                callback(None)

    async def _run(self) -> None:
        failures = 0
        while True:
            opened = self.connections
            try:
                await self._listen()
            except Exception as error:
                # A feed that stops for good would leave every stream of the process polling:
                # whatever ended the connection, reconnect; only its log level differs.
                self.last_error = type(error).__name__
                log = logger.warning if is_retryable(error) else logger.error
                log("live feed lost its LISTEN connection (%s); reconnecting", self.last_error)
            else:
                self.last_error = "connection terminated"
                logger.warning("live feed lost its LISTEN connection; reconnecting")
            if self.connections > opened:
                failures = 0  # it was listening: back off afresh
            self._set_mode("polling")
            self._wake_all()  # subscribers poll from here on until the feed is back
            failures += 1
            delay = min(self.backoff_cap_s, self.backoff_s * 2 ** min(failures - 1, 10))
            await asyncio.sleep(random.uniform(0.5, 1.0) * delay)  # noqa: S311 - jitter

    async def _listen(self) -> None:
        """Hold one LISTEN connection until it is lost (returns or raises then)."""
        async with self.pool.acquire() as conn:
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _c: lost.set())
            for channel in self.channels:
                await conn.add_listener(channel, self._dispatch)
            self.connections += 1
            self.backend_pid = conn.get_server_pid()
            self._conn = conn
            self._set_mode("listening")
            self._wake_all()  # notifications sent while we were not listening are lost
            try:
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), self.heartbeat_s)
                    if not lost.is_set():  # a silent network cut shows only when we speak
                        async with self._speaking:
                            await conn.fetchval(HEARTBEAT, timeout=self.heartbeat_s)
            finally:
                self._conn = None
                async with self._speaking:  # a notify() may still be speaking on it
                    if not conn.is_closed():
                        for channel in self.channels:
                            with contextlib.suppress(*DATABASE_ERRORS):
                                await conn.remove_listener(channel, self._dispatch)


async def announce(pool: asyncpg.Pool, projection: str, feed: LiveFeed | None = None) -> None:
    """Tell every process's feed that ``projection`` moved (after its page committed); on
    ``feed``'s LISTEN connection when given (see :meth:`LiveFeed.notify`)."""
    try:
        if feed is None:
            await pool.execute(NOTIFY_PROJECTION, PROJECTIONS_CHANNEL, projection)
        else:
            await feed.notify(pool, PROJECTIONS_CHANNEL, projection)
    except DATABASE_ERRORS as error:
        if not is_retryable(error):
            raise
        # Streams also poll (slowly), so a lost announcement costs a viewer one quiet interval.
        logger.warning("could not announce projection %s: %s", projection, type(error).__name__)


class Broadcast(Generic[T]):
    """A value read from the database once per change and shared by every subscriber.

    While it has subscribers, one task reloads the value when the feed wakes it (a notification
    on ``channels``, or the poll bridge) and hands each distinct new value to all of them.
    """

    def __init__(
        self,
        feed: LiveFeed,
        load: Callable[[], Awaitable[T]],
        *,
        channels: frozenset[str] | None = None,
        poll_interval: float = 1.0,
        quiet_interval: float = 30.0,
        settle_s: float = 0.1,
    ) -> None:
        self.feed = feed
        self.settle_s = settle_s
        self.load = load
        self.channels = channels
        self.poll_interval = poll_interval
        self.quiet_interval = quiet_interval
        self.loads = 0  # how many times the value was read: the database work of the stream
        self._value: T | None = None
        self._version = 0
        self._changed = asyncio.Condition()
        self._subscribers = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def subscribers(self) -> int:
        """How many streams follow the value now."""
        return self._subscribers

    async def values(self) -> AsyncIterator[T]:
        """The current value, then each new one, for as long as the caller iterates."""
        self._subscribers += 1
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="broadcast")
        seen = 0
        try:
            while True:
                async with self._changed:
                    await self._changed.wait_for(functools.partial(self._newer_than, seen))
                    value, seen = self._value, self._version
                yield cast("T", value)  # set before _version moves past 0
        finally:
            self._subscribers -= 1
            if self._subscribers == 0 and self._task is not None:
                self._task.cancel()
                self._task = None

    def _newer_than(self, version: int) -> bool:
        return self._version > version

    async def _run(self) -> None:
        async with self.feed.listener(
            poll_interval=self.poll_interval,
            quiet_interval=self.quiet_interval,
            channels=self.channels,
        ) as waker:
            while True:
                try:
                    value = await self.load()
                except DATABASE_ERRORS as error:
                    if not is_retryable(error):
                        logger.exception("live value failed to load")
                    else:
                        logger.warning("live value not loaded: %s", type(error).__name__)
                else:
                    self.loads += 1
                    if self._version == 0 or value != self._value:
                        async with self._changed:
                            self._value, self._version = value, self._version + 1
                            self._changed.notify_all()
                await waker.wait()
                # Several projections announce the same events one after the other: one read
                # after they settle shows a consistent state (and costs one query, not several).
                await asyncio.sleep(self.settle_s)
