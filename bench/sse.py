"""Database work behind the live streams: queries per second with 500 viewers against with 1.

    python -m bench.sse [--viewers 500] [--seconds 20] [--rate 2] [--quick]

Starts ``grants serve`` (projections on, as a newcomer runs it) in its own process on an embedded
PostgreSQL under a temporary data dir. Measures twice: with the log at rest, then while it
appends one application's stored events every ``1/--rate`` s
(``bench.projections.programme_events``: submitted, scored, often funded, signed and paid), so
the public ledger really moves and the streams really speak. Each time, one after the other,
over a window of ``--seconds``:

- ``grants``: 1, then ``--viewers`` clients hold ``GET /events/public`` open over HTTP;
- baseline ``per-viewer polling`` (the design before one fan-out per process): 1, then
  ``--viewers`` pollers each run the queries the old stream ran for its viewer (the ledger head
  and the envelope figures) once a second, against the same database.

Database work is counted by the server itself: ``xact_commit + xact_rollback`` of the database in
``pg_stat_database`` (every autocommit statement is one transaction), read from another
database before and after the window while the load keeps running; the writer's transactions and
the projections' are included, the same in every run. :func:`sse_ratio` returns the figures for
``bench all`` (key ``sse_db_queries_per_s_1_vs_500``); the target is a ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import asyncpg

from bench.http import free_port, server
from bench.projections import programme_events
from projections import envelopes, ledger
from service.embedded import start_embedded
from service.store import EventStore
from service.testing import with_database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

HEADER = "| measure | 1 viewer (queries/s) | N viewers (queries/s) | ratio N/1 | target |"
COUNT_XACTS = """
SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'grants'
"""
WARM_S = 3.0
STREAM = "/events/public?lang=fr"


@dataclass(frozen=True)
class Rates:
    """Database transactions per second with one viewer and with many, and what they received."""

    one: float
    many: float
    messages: int

    @property
    def ratio(self) -> float:
        """The many-viewers rate over the one-viewer rate."""
        return self.many / self.one if self.one else float("inf")


async def transactions_per_s(admin: asyncpg.Connection, seconds: float) -> float:
    """The database's transactions per second over ``seconds`` (from the server's statistics)."""
    before = await admin.fetchval(COUNT_XACTS)
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    after = await admin.fetchval(COUNT_XACTS)
    return float(after - before) / (time.perf_counter() - started)


async def writer(url: str, rate: float, stop: asyncio.Event) -> None:
    """One application's events every ``1/rate`` s until ``stop``."""
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    store = EventStore(pool)
    try:
        for batch in programme_events(10**9):
            await store.insert_events(batch)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1 / rate)
            if stop.is_set():
                return
    finally:
        await store.close()
        await pool.close()


async def sse_viewer(session: aiohttp.ClientSession, url: str, heard: list[int]) -> None:
    """Hold one public stream open, counting its messages (``heard[0]``: all viewers' total)."""
    async with session.get(url, headers={"Host": "127.0.0.1"}) as response:
        response.raise_for_status()
        async for line in response.content:
            if line.startswith(b"data:"):
                heard[0] += 1


async def polling_viewer(pool: asyncpg.Pool, heard: list[int]) -> None:
    """The old stream's work for one viewer: the ledger head and the envelopes, once a second."""
    last = None
    while True:
        current = (await ledger.head(pool), await envelopes.envelopes(pool))
        if current != last:
            heard[0] += 1
            last = current
        await asyncio.sleep(1.0)


@contextlib.asynccontextmanager
async def viewers(
    count: int, start: Callable[[list[int]], Awaitable[None]], heard: list[int]
) -> AsyncIterator[None]:
    """``count`` viewers running until the block ends; waits until each has heard once."""
    tasks = [asyncio.create_task(start(heard)) for _ in range(count)]
    try:
        async with asyncio.timeout(120):
            while heard[0] < count:
                for task in tasks:
                    if task.done():
                        task.result()  # a viewer that failed: raise its error
                await asyncio.sleep(0.05)
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def measure(
    admin: asyncpg.Connection,
    counts: tuple[int, int],
    start: Callable[[list[int]], Awaitable[None]],
    seconds: float,
) -> Rates:
    """Transactions per second with ``counts[0]`` then ``counts[1]`` viewers."""
    rates, total = [], 0
    for count in counts:
        heard = [0]
        async with viewers(count, start, heard):
            await asyncio.sleep(WARM_S)
            rates.append(await transactions_per_s(admin, seconds))
        total += heard[0]
    return Rates(rates[0], rates[1], total)


async def run(base: str, url: str, admin_url: str, args: argparse.Namespace) -> dict[str, Rates]:
    """Both designs, side by side: with the log at rest, then under the writer."""
    admin = await asyncpg.connect(admin_url)
    pool = await asyncpg.create_pool(url, min_size=1, max_size=10)
    connector = aiohttp.TCPConnector(limit=0)
    results: dict[str, Rates] = {}
    try:
        async with aiohttp.ClientSession(base, connector=connector) as session:
            for rate in (0.0, args.rate):
                stop = asyncio.Event()
                writing = asyncio.create_task(writer(url, rate, stop)) if rate else None
                try:
                    results[f"grants, {rate:g} applications/s"] = await measure(
                        admin,
                        (1, args.viewers),
                        lambda heard: sse_viewer(session, STREAM, heard),
                        args.seconds,
                    )
                    results[f"per-viewer polling, {rate:g} applications/s"] = await measure(
                        admin,
                        (1, args.viewers),
                        lambda heard: polling_viewer(pool, heard),
                        args.seconds,
                    )
                finally:
                    stop.set()
                    if writing is not None:
                        await writing
    finally:
        await pool.close()
        await admin.close()
    return results


def sse_ratio(*, viewers: int = 500, seconds: float = 20.0, rate: float = 2.0) -> dict[str, float]:
    """Run the benchmark in a throw-away data dir; the figures ``bench all`` reports.

    ``sse_db_queries_per_s_1_vs_500`` is the ratio under the writer (the harder case: the
    streams speak); the ratios at rest and the baseline's are returned beside it.
    """
    args = argparse.Namespace(viewers=viewers, seconds=seconds, rate=rate)
    results = _run_in_fresh_server(args)
    busy, idle = f"{rate:g} applications/s", "0 applications/s"
    key = (
        "sse_db_queries_per_s_1_vs_500"
        if viewers == 500
        else f"sse_db_queries_per_s_1_vs_{viewers}"
    )
    return {
        key: results[f"grants, {busy}"].ratio,
        "sse_db_queries_ratio_at_rest": results[f"grants, {idle}"].ratio,
        "sse_baseline_polling_ratio": results[f"per-viewer polling, {busy}"].ratio,
        "sse_baseline_polling_ratio_at_rest": results[f"per-viewer polling, {idle}"].ratio,
    }


def _run_in_fresh_server(args: argparse.Namespace) -> dict[str, Rates]:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-sse-"))
    try:
        url = start_embedded(data_dir)
        admin_url = with_database(url, "postgres")
        env = {"GRANTS_RUN_PROJECTIONS": "1", "GRANTS_STREAM_SECONDS": "3600"}
        with server(data_dir, free_port(), 10, env) as base:
            return asyncio.run(run(base, url, admin_url, args))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.sse", description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring window per run")
    parser.add_argument("--rate", type=float, default=2.0, help="applications appended per s")
    parser.add_argument("--quick", action="store_true", help="a 6 s window")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 6.0
    results = _run_in_fresh_server(args)
    n = args.viewers
    print(f"viewers={n} window={args.seconds:g}s rate={args.rate:g} applications/s")
    print(HEADER.replace("N viewers", f"{n} viewers"))
    print("| --- | --- | --- | --- | --- |")
    for name, rates in results.items():
        target = "<= 1.5" if name.startswith("grants") else "(baseline)"
        print(
            f"| {name}: database transactions/s | {rates.one:.1f} | {rates.many:.1f} "
            f"| {rates.ratio:.2f} | {target} |"
        )
    heard = ", ".join(f"{name}: {rates.messages}" for name, rates in results.items())
    print(f"messages heard by the viewers: {heard}")


if __name__ == "__main__":
    main()
