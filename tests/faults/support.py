"""What fault tests share: keyed submissions that retry like a careful client, and the checker."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from projections import tracking
from projections.invariants import check
from projections.registry import ALL_PROJECTIONS, ensure_all
from projections.runner import ProjectionRunner
from service import applications
from service.errors import Unavailable
from tests.integration.service.support import CONTACT, applicant, project

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore
    from tests.integration.service.support import Programme


@dataclass
class Acknowledged:
    """What callers were told had succeeded: idempotency keys and the ids they returned."""

    by_key: dict[str, UUID] = field(default_factory=dict)
    attempts: int = 0
    unavailable: int = 0

    @property
    def keys(self) -> list[tuple[str, str]]:
        """As the invariant checker takes them."""
        return [("submit", key) for key in self.by_key]


async def submit_keyed(
    store: EventStore,
    prog: Programme,
    key: str,
    acked: Acknowledged,
    *,
    deadline_s: float = 30.0,
    investor_id: UUID | None = None,
) -> UUID:
    """Submit with an idempotency key, retrying on ``Unavailable`` with the same key."""
    investor, applied_by = investor_id or uuid4(), applicant()
    give_up = time.monotonic() + deadline_s
    while True:
        acked.attempts += 1
        try:
            app_id = await applications.submit(
                store, investor_id=investor, envelope_id=prog.envelope_id, call_id=prog.call_id,
                applicant=applied_by, contact=CONTACT, project=project(), idempotency_key=key,
            )  # fmt: skip
        except Unavailable:
            acked.unavailable += 1
            if time.monotonic() > give_up:
                raise
            await asyncio.sleep(0.05)
            continue
        previous = acked.by_key.setdefault(key, app_id)
        assert previous == app_id, f"key {key} returned {app_id} after {previous}"
        return app_id


async def catch_up_fully(runner: ProjectionRunner, within: float = 15.0) -> None:
    """Apply pages until the projection has every committed event, waiting while the fence is
    held back (by an open transaction anywhere on the server: the test server is shared)."""
    deadline = time.monotonic() + within
    while True:
        await runner.catch_up()
        at = await tracking.position(runner.pool, runner.projection.name)
        if await runner.store.count_after(at) == 0:
            return
        assert time.monotonic() < deadline, f"{runner.projection.name} did not catch up"
        await asyncio.sleep(0.05)


async def until_caught_up(
    pool: asyncpg.Pool, store: EventStore, names: set[str] | None = None, within: float = 30
) -> None:
    """Wait until the projections ``names`` (all by default) stand at the head of the log,
    applied by whatever runs them (another process, a task)."""
    from projections.registry import status

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        rows = [r for r in await status(pool, store) if names is None or r.name in names]
        if all(r.lag_events == 0 and r.position is not None and r.position.tx_id for r in rows):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"projections did not catch up: {await status(pool, store)}")


async def assert_invariants(
    pool: asyncpg.Pool,
    store: EventStore,
    *,
    acked: Acknowledged | None = None,
    ids: list[UUID] | None = None,
    catch_up: bool = True,
) -> None:
    """Bring every projection up to date (unless told not to), then check every invariant."""
    if catch_up:
        await ensure_all(pool)
        for projection in ALL_PROJECTIONS:
            await catch_up_fully(ProjectionRunner(pool, store, projection))
    known = list(ids or []) + list(acked.by_key.values() if acked else [])
    report = await check(
        pool, store, acknowledged_ids=known, acknowledged_keys=acked.keys if acked else []
    )
    assert report.ok, str(report)
