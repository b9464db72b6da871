"""The two rebuild designs side by side, against our own read+decode of the same log.

    python -m bench.rebuild_designs [--url postgresql://...] [--events 50000] [--rounds 3]

On one log of ``--events`` programme events (``bench.projections.programme_events``), rounds
interleaved: our read+decode of the whole log (``bench.all.catch_up_rate``, the baseline), the
review queue and the ledger rebuilt **separately** (one read and decode of the log each, design
1), and rebuilt **together** (``rebuild_many``: each page read and decoded once, applied to both
scratch schemas on their own connections, pipelined; design 2: each page reads back the rows it
touches), and together with **resident** rows (design 3, what ``rebuild_many`` does for the
projections that have a :attr:`~projections.projection.Projection.resident` handler: rows kept
in memory from page to page, new ones written with binary ``COPY``), and design 3 with **one
process per projection** (design 4: each forked child rebuilds one projection with its own pool,
reading the log and decoding only the events its projection handles; the second core folds the
ledger while the first folds the queue). Wall seconds, this process's CPU seconds (its children's
included) and the database server's (its processes' CPU time from ``/proc``, where readable),
medians, and each design's ratio to the baseline (events/s over events/s).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bench import projections as bp
from bench.all import catch_up_rate
from projections import ledger, review_queue
from projections.rebuild import rebuild, rebuild_many
from service import db
from service.settings import Settings
from service.store import EventStore
from service.testing import scratch_database, server_url

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import asyncpg

#: The embedded test server's postmaster.pid (``service.testing.server_url``'s data dir).
EMBEDDED_PID = Path("var/test/pg/postmaster.pid")
BOTH = (review_queue.PROJECTION, ledger.PROJECTION)
SETTINGS = Settings(pool_min_size=2, pool_max_size=16, secret_key="x" * 32)
READ_BACK = tuple(replace(p, resident=None) for p in BOTH)


async def _separate(pool: asyncpg.Pool, store: EventStore, url: str) -> None:
    for projection in READ_BACK:
        await rebuild(pool, store, projection)


async def _together(pool: asyncpg.Pool, store: EventStore, url: str) -> None:
    await rebuild_many(pool, store, READ_BACK)


async def _resident(pool: asyncpg.Pool, store: EventStore, url: str) -> None:
    await rebuild_many(pool, store, BOTH)


async def _processes(pool: asyncpg.Pool, store: EventStore, url: str) -> None:
    # forked, so that the design pays no interpreter start-up (spawning one costs about 0.5 s);
    # each child runs its own event loop and pool and never touches the parent's
    fork = multiprocessing.get_context("fork")
    children = [fork.Process(target=_child, args=(url, p.name)) for p in BOTH]
    for child in children:
        child.start()
    await asyncio.to_thread(lambda: [child.join() for child in children])
    if any(child.exitcode for child in children):
        raise RuntimeError(f"a rebuild process failed: {[c.exitcode for c in children]}")


def _child(url: str, name: str) -> None:
    async def rebuild_one() -> None:
        pool = await db.create_pool(SETTINGS, url)
        store = EventStore(pool)
        try:
            await rebuild(pool, store, next(p for p in BOTH if p.name == name))
        finally:
            await store.close()
            await pool.close()

    asyncio.run(rebuild_one())


async def _catch_up(pool: asyncpg.Pool, store: EventStore, url: str) -> None:
    await catch_up_rate(store)


ARMS: dict[str, Callable[[asyncpg.Pool, EventStore, str], Awaitable[None]]] = {
    "read+decode (baseline)": _catch_up,
    "design 1: separately": _separate,
    "design 2: together": _together,
    "design 3: together, resident rows": _resident,
    "design 4: design 3, one process per projection": _processes,
}


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def server_cpu(pid_file: Path | None) -> float:
    """CPU seconds used so far by the server's processes, or 0: its postmaster's children
    running now, and those that ended (the postmaster's reaped children's time: a backend whose
    connection closed, as design 4's children's are)."""
    if pid_file is None or not pid_file.exists():
        return 0.0
    postmaster = pid_file.read_text().split()[0]
    total = 0
    for proc in Path("/proc").iterdir():
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == postmaster:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
        elif proc.name == postmaster:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


async def bench(
    admin: str, events: int, rounds: int, pid_file: Path | None = None
) -> dict[str, list[tuple[float, float, float]]]:
    times: dict[str, list[tuple[float, float, float]]] = {name: [] for name in ARMS}
    async with scratch_database(admin, "bench") as url:
        pool, store = await bp._open(SETTINGS, url)
        try:
            await bp.write_log(store, None, events)
            for _ in range(rounds):
                for name, arm in ARMS.items():
                    wall, cpu, server = time.perf_counter(), _cpu(), server_cpu(pid_file)
                    await arm(pool, store, url)
                    times[name].append((
                        time.perf_counter() - wall, _cpu() - cpu, server_cpu(pid_file) - server
                    ))  # fmt: skip
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
    pid_file = None if args.url else EMBEDDED_PID
    times = asyncio.run(bench(admin, args.events, args.rounds, pid_file))
    base = statistics.median(t[0] for t in times["read+decode (baseline)"])
    print(f"{args.events:,} events, rounds={args.rounds}, medians")
    print("| arm | wall s | CPU s (this process) | CPU s (server) | ratio to read+decode |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, runs in times.items():
        wall, cpu, server = (statistics.median(t[i] for t in runs) for i in range(3))
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {server:.2f} | {base / wall:.2f} |")


if __name__ == "__main__":
    main()
