"""Benchmark the event store against eventsourcing's recorder and raw asyncpg, side by side.

Run ``python -m bench.store`` (or ``grants bench store``): one process, one PostgreSQL (a scratch
database on the embedded server, or on ``--url``), the contenders interleaved round by round in
a rotating order, medians of events per second and their ratios printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from service import db
from service.embedded import start_embedded
from service.settings import load_settings
from service.store import EventStore
from service.testing import scratch_database

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from bench.contenders import Contenders
    from service.settings import Settings

GRANTS, EVENTSOURCING, RAW = "grants EventStore", "eventsourcing recorder", "raw asyncpg"
HEADER = "| workload | contender | events/s (median) | ratio |"


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The benchmark's options (also mounted under ``grants bench store``)."""
    parser = parser or argparse.ArgumentParser(prog="python -m bench.store", description=__doc__)
    parser.add_argument("--url", help="admin URL of the PostgreSQL to use (default: embedded)")
    parser.add_argument("--events", type=int, default=3000, help="events per single-event round")
    parser.add_argument("--batch-events", type=int, default=30_000, help="events per batch round")
    parser.add_argument("--log", type=int, default=100_000, help="events read in a catch-up")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, contenders interleaved")
    return parser


def main(settings: Settings, args: argparse.Namespace) -> int:
    """Run the benchmark and print its table; returns the exit code."""
    from bench.contenders import THREADS, WRITERS  # psycopg and friends: only when running

    admin_url = args.url or start_embedded(settings.data_dir, "postgres")
    print(
        f"grants bench store: {WRITERS} writer tasks (eventsourcing: {THREADS} threads), "
        f"{args.rounds} rounds, PostgreSQL at {db.redact(admin_url)}",
        flush=True,
    )
    table = asyncio.run(_run(settings, admin_url, args))
    print(table)
    return 0


async def _run(settings: Settings, admin_url: str, args: argparse.Namespace) -> str:
    from bench.contenders import WRITERS, Contenders, recorder_for

    async with scratch_database(admin_url, prefix="bench") as url:
        pools = replace(settings, pool_min_size=WRITERS + 1, pool_max_size=WRITERS + 1)
        store_pool = await db.create_pool(pools, url)
        raw_pool = await db.create_pool(pools, url)
        recorder = None
        try:
            async with store_pool.acquire() as conn:
                await db.migrate(conn)
                await conn.execute("CREATE TABLE raw_events (LIKE events INCLUDING ALL)")
            recorder = await asyncio.to_thread(recorder_for, url)
            contenders = Contenders(EventStore(store_pool), raw_pool, recorder)
            return await _rounds(contenders, args)
        finally:
            await contenders_close(store_pool, raw_pool, recorder)


async def contenders_close(*closables: object) -> None:
    """Close the pools and eventsourcing's datastore, whatever got opened."""
    for closable in closables:
        if closable is None:
            continue
        datastore = getattr(closable, "datastore", None)
        if datastore is not None:
            await asyncio.to_thread(datastore.close)
        else:
            await closable.close()  # type: ignore[attr-defined]


async def _rounds(c: Contenders, args: argparse.Namespace) -> str:
    from bench.contenders import stored_events

    append = {GRANTS: c.append_grants, EVENTSOURCING: c.append_eventsourcing, RAW: c.append_raw}
    catch_up = {GRANTS: c.catch_up_grants, EVENTSOURCING: c.catch_up_eventsourcing}
    workloads = {
        "append, 1 event/tx": (append, lambda: stored_events(args.events, 1), args.events),
        "append, 100 events/tx": (
            append,
            lambda: stored_events(args.batch_events, 100),
            args.batch_events // 100 * 100,
        ),
        f"catch-up, read+decode {args.log:,}": (catch_up, lambda: args.log, args.log),
    }
    print(f"seeding {args.log:,} domain events into both logs ...", flush=True)
    await c.seed_log(args.log)
    rates: dict[tuple[str, str], list[float]] = {}
    for round_no in range(args.rounds):
        for workload, (runners, make_input, count) in workloads.items():
            names = list(runners)
            names = names[round_no % len(names) :] + names[: round_no % len(names)]
            for name in names:
                seconds = await _timed(runners[name], make_input())
                rates.setdefault((workload, name), []).append(count / seconds)
        print(f"round {round_no + 1}/{args.rounds} done", flush=True)
    return render(rates)


async def _timed(run: Callable[[object], Awaitable[float]], work: object) -> float:
    return await run(work)


def render(rates: dict[tuple[str, str], list[float]]) -> str:
    """The Markdown table: median events/s per contender and ratios against the others."""
    medians = {key: statistics.median(values) for key, values in rates.items()}
    lines = [HEADER, "| --- | --- | ---: | --- |"]
    for (workload, name), median in medians.items():
        others = [
            f"{median / other:.2f}x {other_name}"
            for (other_workload, other_name), other in medians.items()
            if other_workload == workload and other_name != name and name == GRANTS
        ]
        lines.append(f"| {workload} | {name} | {median:,.0f} | {', '.join(others)} |")
    return "\n".join(lines)


def cli(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.store``: settings from the environment, options from ``argv``."""
    args = build_parser().parse_args(argv)
    return main(load_settings(), args)


if __name__ == "__main__":
    sys.exit(cli())
