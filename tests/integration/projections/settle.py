"""Catching the read models up on a PostgreSQL server shared with other test runs.

Readers never pass the oldest open transaction on the server (the store's fence), and other
runs keep transactions open: a single pass may apply nothing. This retries until no committed
event is left unread.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from projections import tracking
from projections.registry import ALL_PROJECTIONS
from projections.runner import ProjectionRunner

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore


async def catch_up(pool: asyncpg.Pool, store: EventStore) -> None:
    """Apply every event to every read model (retrying while older transactions hold the
    reading fence back: the test server is shared)."""
    for _ in range(200):
        lag = 0
        for projection in ALL_PROJECTIONS:
            await ProjectionRunner(pool, store, projection).catch_up()
            lag += await store.count_after(await tracking.position(pool, projection.name))
        if lag == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the read models did not catch up")
