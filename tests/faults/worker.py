"""A projection worker process for the fault tests: ``python -m tests.faults.worker URL MODE``.

Modes:
- ``die-in-page N``: run every projection with small pages and ``os._exit(3)`` inside the
  transaction of the N-th page, after its handlers ran and before the tracking row moves;
- ``run SECONDS``: run every projection (leading or standing by) for at most SECONDS;
- ``catch-up SECONDS``: run until every projection has caught up with the log, exit 0 (or 4
  when SECONDS pass first).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from projections import registry, tracking
from projections.leadership import Leadership
from projections.registry import ALL_PROJECTIONS, listeners
from projections.runner import ProjectionRunner
from service import db
from service.settings import Settings
from service.store import EventStore

PAGE_SIZE = 10


def die_in_page(n: int) -> None:
    """Make the n-th page's ``tracking.advance`` end the process instead of moving on."""
    real, calls = tracking.advance, [0]

    async def advance(*args: object, **kwargs: object) -> None:
        calls[0] += 1
        if calls[0] == n:
            os._exit(3)  # mid-transaction: the server sees the connection vanish
        await real(*args, **kwargs)  # type: ignore[arg-type]

    tracking.advance = advance  # type: ignore[assignment]


async def caught_up(pool: object, store: EventStore) -> bool:
    """Every projection at the head of the log, none in error."""
    rows = await registry.status(pool, store)  # type: ignore[arg-type]
    return all(r.lag_events == 0 and r.error is None and r.position is not None for r in rows)


def name_connections_by_pid() -> None:
    """``application_name`` = grants-worker-PID, so the test can tell whose backend leads."""
    base = db.server_settings
    db.server_settings = lambda s: {**base(s), "application_name": f"grants-worker-{os.getpid()}"}


async def main(url: str, mode: str, arg: float) -> int:
    name_connections_by_pid()
    settings = Settings(secret_key="x" * 40, pool_min_size=1, pool_max_size=6)
    pool = await db.create_pool(settings, url)
    store, stop, leadership = EventStore(pool), asyncio.Event(), Leadership(pool)
    runners = [
        ProjectionRunner(pool, store, p, leadership, page_size=PAGE_SIZE, standby_interval=0.2,
                         poll_interval=0.2)
        for p in ALL_PROJECTIONS
    ]  # fmt: skip
    code, deadline = 0, time.monotonic() + (arg if mode != "die-in-page" else 60)
    async with listeners(store, len(runners), 0.2) as wakers:
        tasks = [
            asyncio.ensure_future(r.run(stop, w)) for r, w in zip(runners, wakers, strict=True)
        ]
        print("started", flush=True)
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            if mode == "catch-up" and await caught_up(pool, store):
                break
        else:
            code = 4 if mode == "catch-up" else 0
        stop.set()
        await asyncio.gather(*tasks)
    await leadership.close()
    await pool.close()
    return code


if __name__ == "__main__":
    url_, mode_, arg_ = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if mode_ == "die-in-page":
        die_in_page(int(arg_))
    sys.exit(asyncio.run(main(url_, mode_, arg_)))
