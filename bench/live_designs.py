"""Live projection lag: designs of the projection runners side by side, rounds interleaved.

    python -m bench.live_designs [--rate 880] [--seconds 5] [--rounds 3] [--designs a,b]

Each round runs every design once, in turn, on a fresh database, with the live part of
``bench.projections`` (submissions at ``--rate`` per second through ``applications.submit``
while every projection runs in the same process; lag from a submission's acknowledgement to its
row in ``review_files``), so a busy neighbour on the machine weighs on all designs alike.
Reported: medians over the rounds of each round's p50 and p99 lag, the rate achieved, and
the process's CPU time per second of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import projections as live
from projections import registry
from service import db
from service.settings import Settings
from service.testing import scratch_database, server_url

if TYPE_CHECKING:
    from collections.abc import Iterator

    import asyncpg


#: Connections of the runners' own pool in the designs that have one: one per projection and
#: one for their locks, so that no page waits for a connection.
RUNNER_POOL = len(registry.ALL_PROJECTIONS) + 1


@dataclass(frozen=True)
class Design:
    """One topology of the runners: shared page reads (:class:`projections.runner.SharedReads`),
    a pool of their own, batched writes of the per-event projections (``Projection.batched``)."""

    share_reads: bool
    own_pool: int = 0  # connections of the runners' own pool (0: none, they share the process's)
    batched: bool = True
    priority: bool = True  # the review queue's runner has a connection of its own
    watcher_on_pool: bool = False  # the bench's watcher as it was (see bench.projections)


DESIGNS = {
    "current": Design(share_reads=False, batched=False),
    "current, watcher on pool": Design(share_reads=False, batched=False, watcher_on_pool=True),
    "shared": Design(share_reads=True, batched=False),
    "batched": Design(share_reads=False, batched=True),
    "shared+batched": Design(share_reads=True, batched=True),
    "own-pool": Design(share_reads=False, own_pool=RUNNER_POOL, batched=False),
    "shared+batched+own-pool": Design(share_reads=True, own_pool=RUNNER_POOL, priority=False),
    "shared+batched+own-pool-4": Design(share_reads=True, own_pool=4, priority=False),
    # what registry.run_all does by default (GRANTS_PROJECTION_POOL_SIZE=4)
    "shared+batched+own-pool-4+queue-alone": Design(share_reads=True, own_pool=4),
}
DEFAULT = (
    "current",
    "shared+batched",
    "shared+batched+own-pool-4",
    "shared+batched+own-pool-4+queue-alone",
)


@contextlib.contextmanager
def batching(on: bool) -> Iterator[None]:
    """The projections as they are (``on``), or with every per-event one unbatched."""
    kept = registry.ALL_PROJECTIONS
    if not on:
        registry.ALL_PROJECTIONS = tuple(replace(p, batched=False) for p in kept)
    try:
        yield
    finally:
        registry.ALL_PROJECTIONS = kept


async def one(admin: str, design: Design, rate: float, seconds: float) -> dict[str, float]:
    run = functools.partial(
        registry.run_all,
        share_reads=design.share_reads,
        priority=registry.PRIORITY if design.priority else (),
    )
    with batching(design.batched):
        return await _one(admin, design, run, rate, seconds)


async def _one(
    admin: str, design: Design, run: Any, rate: float, seconds: float
) -> dict[str, float]:
    settings = Settings(pool_min_size=2, pool_max_size=16, secret_key="x" * 32)
    async with scratch_database(admin, "bench") as url:
        pool, store = await live._open(settings, url)
        runner_pool = None
        if design.own_pool:
            runner_pool = await db.create_pool(
                Settings(pool_min_size=design.own_pool, pool_max_size=design.own_pool,
                         secret_key="x" * 32), url,
                extra_settings={"application_name": "grants-projections"},
            )  # fmt: skip
            run = functools.partial(run, runner_pool=runner_pool)
        else:  # the runners on the process's pool, as before
            run = functools.partial(run, runner_pool=pool)
        try:
            server = await server_cpu(pool)
            cpu, wall = time.process_time(), time.perf_counter()
            lags, achieved = await live.live_lag(
                pool, store, rate, seconds, run, watcher_on_pool=design.watcher_on_pool
            )
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            after = await server_cpu(pool)
            server_s = sum(t - server.get(pid, (0.0, ""))[0] for pid, (t, _) in after.items())
            runners_s = sum(
                t - server.get(pid, (0.0, ""))[0]
                for pid, (t, name) in after.items()
                if name == "grants-projections"
            )
        finally:
            if runner_pool is not None:
                await runner_pool.close()
            await live._close(pool, store)
    cuts = statistics.quantiles(lags, n=100)
    return {"p50": cuts[49], "p99": cuts[98], "max": max(lags), "achieved": achieved,
            "cpu": cpu / wall, "server_cpu": server_s / wall, "server_runners": runners_s / wall,
            "cpu_ms_per_submission": (cpu + server_s) * 1000 / len(lags),
            "n": len(lags)}  # fmt: skip


async def server_cpu(pool: asyncpg.Pool) -> dict[int, tuple[float, str]]:
    """CPU seconds used so far by each server process of this database (this machine's
    server: ``/proc``), with its application name; processes that end during the run are
    not counted."""
    pids = await pool.fetch(
        "SELECT pid, application_name FROM pg_stat_activity WHERE datname = current_database()"
    )
    return {pid: (used, name) for pid, name in pids if (used := _cpu_s(pid)) is not None}


def _cpu_s(pid: int) -> float | None:
    """User and system CPU seconds of process ``pid`` so far (None: gone, or elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def bench(admin: str, args: argparse.Namespace) -> dict[str, list[dict[str, float]]]:
    chosen = {k: DESIGNS[k] for k in args.designs or DEFAULT}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in chosen}
    for n in range(args.rounds):
        for name, design in chosen.items():
            try:
                r = await one(admin, design, args.rate, args.seconds)
            except live.SubmissionsFailedError as error:  # said, and not counted
                print(f"round {n + 1} {name}: {error}", flush=True)
                continue
            results[name].append(r)
            print(f"round {n + 1} {name}: " + " ".join(f"{k}={v:.1f}" for k, v in r.items()),
                  flush=True)  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL admin URL (default: the embedded test server)")
    parser.add_argument("--rate", type=float, default=880)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--designs", type=lambda s: s.split(";"), default=None,
                        help=f"names separated by ';' among {'; '.join(DESIGNS)}")  # fmt: skip
    args = parser.parse_args(argv)
    admin = server_url(args.url)
    results = asyncio.run(bench(admin, args))
    print(f"\nrate asked {args.rate:,.0f}/s, {args.seconds:g} s, medians of {args.rounds} rounds")
    print("| design | achieved/s | p50 ms | p99 ms | max ms | process CPU | server CPU "
          "| CPU ms/submission |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, runs in results.items():
        if not runs:
            continue
        med: dict[str, Any] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"| {name} | {med['achieved']:,.0f} | {med['p50']:.1f} | {med['p99']:.1f} "
              f"| {med['max']:.0f} | {med['cpu']:.0%} | {med['server_cpu']:.0%} "
              f"| {med['cpu_ms_per_submission']:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
