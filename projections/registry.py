"""All projections, and the hooks the CLI and the app call: run, status, rebuild."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from projections import (
    call_pages,
    conflicts,
    dashboard,
    envelopes,
    ledger,
    programme,
    public_grants,
    public_texts,
    review_queue,
    statistics,
    tracking,
)
from projections.leadership import Leadership
from projections.projection import Projection
from projections.rebuild import PAGE_SIZE, ensure_tables, rebuild_many
from projections.rebuild import rebuild as rebuild_projection
from projections.review_queue import set_policy
from projections.runner import ProjectionRunner, SharedReads
from projections.supervisor import Supervisor
from service import db
from service.live import Waker
from service.repository import new_mapper
from service.store import Position

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Collection, Sequence

    from service.settings import Policy
    from service.store import EventStore

logger = logging.getLogger(__name__)
#: The ``application_name`` of the runners' own connections (``pg_stat_activity``).
PROJECTIONS_APPLICATION = "grants-projections"
#: Projections whose runner has a connection of its own (see :func:`run_all`).
PRIORITY = frozenset({review_queue.PROJECTION.name})

ALL_PROJECTIONS: tuple[Projection, ...] = (
    review_queue.PROJECTION,
    dashboard.PROJECTION,
    ledger.PROJECTION,
    envelopes.PROJECTION,
    statistics.PROJECTION,
    programme.PROJECTION,
    public_grants.PROJECTION,
    call_pages.PROJECTION,
    conflicts.PROJECTION,
    public_texts.PROJECTION,
)


class UnknownProjectionError(LookupError):
    """Raised when a projection name is not one of ``ALL_PROJECTIONS``."""


def select(names: Sequence[str] | None = None) -> list[Projection]:
    """The projections called ``names`` (all when None)."""
    known = {p.name: p for p in ALL_PROJECTIONS}
    if names is None:
        return list(ALL_PROJECTIONS)
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise UnknownProjectionError(f"unknown projection(s) {unknown}; known: {sorted(known)}")
    return [known[n] for n in names]


async def ensure_all(pool: asyncpg.Pool, policy: Policy | None = None) -> None:
    """Create every projection's tables that do not exist yet (so pages can read them), and
    draw the review queue's fundable line with ``policy``'s quorum and threshold."""
    for projection in ALL_PROJECTIONS:
        await ensure_tables(pool, projection)
    if policy is not None:
        await set_policy(pool, policy.review_quorum, policy.funding_threshold_hundredths)


async def run_all(
    pool: asyncpg.Pool,
    store: EventStore,
    names: Sequence[str] | None = None,
    stop_event: asyncio.Event | None = None,
    *,
    poll_interval: float = 1.0,
    supervisor: Supervisor | None = None,
    share_reads: bool = True,
    runner_pool: asyncpg.Pool | None = None,
    priority: Collection[str] = PRIORITY,
) -> None:
    """Run the projections (leading those whose lock is free, standing by for the others) until
    ``stop_event`` is set. One lock connection and one LISTEN connection serve them all; each
    runner is supervised (:mod:`projections.supervisor`): one failing never stops the others.
    Runners standing at the same position share one read and decoding of each page
    (:class:`SharedReads`; ``share_reads=False``: each reads its own, as before).

    The runners apply their pages on connections of their own (``runner_pool``, else a pool
    of ``projection_pool_size`` connections opened here, ``GRANTS_PROJECTION_POOL_SIZE``): on
    the process's pool, a page waited in its queue behind every request of a busy process (at
    880 submissions/s the review queue spent most of its time there). The LISTEN connection
    stays on ``pool``; with a size of 0, or a pool not made by :func:`service.db.create_pool`,
    the runners share ``pool`` as before. The runners of ``priority`` (the review queue: staff
    wait for a new file in it) then each get one connection more, of their own, so that their
    pages do not wait for the others' in that pool either."""
    stop = stop_event or asyncio.Event()
    projections = select(names)
    async with contextlib.AsyncExitStack() as stack:
        own = runner_pool or await _own_pool(pool, stack)
        alone = {}
        for name in set(priority) & {p.name for p in projections} if own is not pool else ():
            dedicated = await db.sibling_pool(pool, 1, PROJECTIONS_APPLICATION)
            if dedicated is not None:
                stack.push_async_callback(dedicated.close)
                alone[name] = dedicated
        leadership = Leadership(own)
        stack.push_async_callback(leadership.close)
        shared = SharedReads(store, new_mapper()) if share_reads else None
        runners = [
            ProjectionRunner(
                alone.get(p.name, own),
                store,
                p,
                leadership,
                poll_interval=poll_interval,
                shared=shared,
            )
            for p in projections
        ]
        async with listeners(store, len(runners), poll_interval) as wakers:
            await (supervisor or Supervisor()).run(runners, wakers, stop)


async def _own_pool(pool: asyncpg.Pool, stack: contextlib.AsyncExitStack) -> asyncpg.Pool:
    settings = getattr(pool, "settings", None)
    size = settings.projection_pool_size if settings is not None else 0
    own = await db.sibling_pool(pool, size, PROJECTIONS_APPLICATION) if size else None
    if own is None:
        return pool
    stack.push_async_callback(own.close)
    return own


@contextlib.asynccontextmanager
async def listeners(
    store: EventStore, count: int, poll_interval: float
) -> AsyncIterator[list[Waker]]:
    """``count`` wakers fed by the process's one LISTEN connection (``store.feed``)."""
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(store.listener(poll_interval=poll_interval))
            for _ in range(count)
        ]


@dataclass(frozen=True, kw_only=True)
class ProjectionStatus:
    """Where a projection stands and how far behind the log it is."""

    name: str
    version: int | None
    position: Position | None
    lag_events: int
    lag_seconds: float
    applied: int
    skipped: int
    error: str | None

    @property
    def state(self) -> str:
        """``ok``, or ``failed`` when its last page failed (it stands where the error is)."""
        return "failed" if self.error else "ok"


async def status(pool: asyncpg.Pool, store: EventStore) -> list[ProjectionStatus]:
    """Each projection's position, lag in events and seconds, counts and error state.

    The lag in seconds is the time since the projection last moved while events wait for it
    (0 when it is up to date).
    """
    rows = {r["name"]: r for r in await tracking.all_rows(pool)}
    result = []
    for projection in ALL_PROJECTIONS:
        row = rows.get(projection.name)
        position = Position(int(row["tx_id"]), row["notification_id"]) if row else None
        lag = await store.count_after(position)
        result.append(
            ProjectionStatus(
                name=projection.name,
                version=row["version"] if row else None,
                position=position,
                lag_events=lag,
                lag_seconds=float(row["idle_seconds"]) if row and lag else 0.0,
                applied=row["applied"] if row else 0,
                skipped=row["skipped"] if row else 0,
                error=row["error"] if row else None,
            )
        )
    return result


async def rebuild(
    pool: asyncpg.Pool,
    store: EventStore,
    name: str,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rebuild the projection ``name`` from the start of the log; return the events read."""
    (projection,) = select([name])
    return await rebuild_projection(pool, store, projection, progress=progress)


async def rebuild_together(
    pool: asyncpg.Pool,
    store: EventStore,
    names: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    page_size: int = PAGE_SIZE,
) -> int:
    """Rebuild the projections ``names`` (all when None) from one read of the log; return the
    events read. Each page is read and decoded once for all of them (:func:`rebuild_many`)."""
    return await rebuild_many(pool, store, select(names), progress=progress, page_size=page_size)
