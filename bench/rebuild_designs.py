"""The two rebuild designs side by side, against our own read+decode of the same log.

    python -m bench.rebuild_designs [--url postgresql://...] [--events 50000] [--rounds 3]

On one log of ``--events`` programme events (``bench.projections.programme_events``), rounds
interleaved: our read+decode of the whole log (``bench.all.catch_up_rate``, the baseline), the
review queue and the ledger rebuilt **separately** (one read and decode of the log each, design
1), and rebuilt **together** (``rebuild_many``: each page read and decoded once, applied to both
scratch schemas on their own connections, pipelined; design 2). Wall seconds and this process's
CPU seconds, medians, and each design's ratio to the baseline (events/s over events/s).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import TYPE_CHECKING

from bench import projections as bp
from bench.all import catch_up_rate
from projections import ledger, review_queue
from projections.rebuild import rebuild, rebuild_many
from service.settings import Settings
from service.testing import scratch_database, server_url

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import asyncpg

    from service.store import EventStore

BOTH = (review_queue.PROJECTION, ledger.PROJECTION)


async def _separate(pool: asyncpg.Pool, store: EventStore) -> None:
    for projection in BOTH:
        await rebuild(pool, store, projection)


async def _together(pool: asyncpg.Pool, store: EventStore) -> None:
    await rebuild_many(pool, store, BOTH)


async def _catch_up(pool: asyncpg.Pool, store: EventStore) -> None:
    await catch_up_rate(store)


ARMS: dict[str, Callable[[asyncpg.Pool, EventStore], Awaitable[None]]] = {
    "read+decode (baseline)": _catch_up,
    "design 1: separately": _separate,
    "design 2: together": _together,
}


async def bench(admin: str, events: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    settings = Settings(pool_min_size=2, pool_max_size=16, secret_key="x" * 32)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in ARMS}
    async with scratch_database(admin, "bench") as url:
        pool, store = await bp._open(settings, url)
        try:
            await bp.write_log(store, None, events)
            for _ in range(rounds):
                for name, arm in ARMS.items():
                    wall, cpu = time.perf_counter(), time.process_time()
                    await arm(pool, store)
                    times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
        finally:
            await bp._close(pool, store)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL admin URL (default: the embedded test server)")
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    admin = server_url(args.url)  # may start the embedded server: outside the event loop
    times = asyncio.run(bench(admin, args.events, args.rounds))
    base = statistics.median(w for w, _ in times["read+decode (baseline)"])
    print(f"{args.events:,} events, rounds={args.rounds}, medians")
    print("| arm | wall s | CPU s (this process) | ratio to read+decode |")
    print("| --- | ---: | ---: | ---: |")
    for name, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {base / wall:.2f} |")


if __name__ == "__main__":
    main()
