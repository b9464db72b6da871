"""Public reads on a streaming replica: what leaves the primary, and how far behind the replica is.

    python -m bench.replica [--grants 300] [--seconds 10] [--clients 8] [--writes 200]

Starts an embedded PostgreSQL under a temporary data dir, loads ``--grants`` funded grants into
the ledger (``bench.public.load_ledger``), makes a hot-standby streaming replica of it with the
wheel's ``pg_basebackup`` (``service.testing.streaming_replica``), then runs ``grants serve``
twice, side by side on the same data:

- baseline ``primary only``: ``GRANTS_READ_DATABASE_URL`` unset;
- ``replica``: ``GRANTS_READ_DATABASE_URL`` on the replica (``GRANTS_REPLICA_MAX_LAG_MS`` 1000).

Each time ``--clients`` visitors (each with its own cookie jar, as browsers) fetch the public
ledger page, a grant's page, the statistics and the ledger head from the API for ``--seconds``;
the table gives requests/s and the database transactions per second on the primary and on the
replica (``pg_stat_database`` of each server, read after 11 s quiet before and after the window,
so that every server process has reported its counts; the counting queries themselves add 2). Then ``--writes`` single-event appends on the
primary, one after the other, each timed until the replica has replayed its commit
(``pg_last_wal_replay_lsn()`` reaching ``pg_current_wal_flush_lsn()`` after the commit): the
replica's visibility lag, p50 and p99. Medians are not needed: one window each, machine noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg

from bench.http import free_port, percentile, server
from bench.public import load_ledger
from service.embedded import start_embedded
from service.testing import streaming_replica, with_database

HEADER = "| mode | requests/s | primary transactions/s | replica transactions/s |"
COUNT_XACTS = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'grants'"
PATHS = ("/ledger?lang=fr", "/statistics?lang=ar", "/api/v1/ledger/head", "/?lang=fr")
WARM_S = 2.0
STATS_FLUSH_S = 11.0


async def visit(base: str, seconds: float, clients: int) -> int:
    """Requests completed by ``clients`` visitors in ``seconds`` (each keeps its cookies)."""
    deadline = time.monotonic() + seconds
    done = 0

    async def visitor() -> None:
        nonlocal done
        async with aiohttp.ClientSession(base, headers={"Host": "127.0.0.1"}) as session:
            while time.monotonic() < deadline:
                for path in PATHS:
                    async with session.get(path) as response:
                        await response.read()
                        if response.status != 200:
                            raise SystemExit(f"GET {path}: {response.status}")
                    done += 1

    await asyncio.gather(*(visitor() for _ in range(clients)))
    return done


async def window(base: str, urls: tuple[str, str], seconds: float, clients: int) -> list[float]:
    """[requests/s, primary transactions/s, replica transactions/s] over one window."""
    await visit(base, WARM_S, clients)
    primary, replica = await asyncpg.connect(urls[0]), await asyncpg.connect(urls[1])
    try:
        # A server process reports its counts at most once a second while busy and 10 s after
        # it goes idle: quiet periods around the window put every count on the right side.
        await asyncio.sleep(STATS_FLUSH_S)
        before = [await c.fetchval(COUNT_XACTS) for c in (primary, replica)]
        started = time.perf_counter()
        requests = await visit(base, seconds, clients)
        elapsed = time.perf_counter() - started
        await asyncio.sleep(STATS_FLUSH_S)
        after = [await c.fetchval(COUNT_XACTS) for c in (primary, replica)]
        async with (
            aiohttp.ClientSession(base, headers={"Host": "127.0.0.1"}) as session,
            session.get("/healthz") as response,
        ):
            reads = (await response.json())["public_reads"]
        print(f"{base} public reads: {reads}")
    finally:
        await primary.close()
        await replica.close()
    return [requests / elapsed, *((a - b) / elapsed for a, b in zip(after, before, strict=True))]


async def visibility_lag(primary_url: str, replica_url: str, writes: int) -> list[float]:
    """Milliseconds from each commit on the primary until the replica has replayed it."""
    primary = await asyncpg.connect(primary_url)
    replica = await asyncpg.connect(replica_url)
    lags = []
    try:
        await primary.execute("CREATE TABLE IF NOT EXISTS bench_lag (id uuid PRIMARY KEY)")
        for _ in range(writes):
            await primary.execute("INSERT INTO bench_lag VALUES ($1)", uuid.uuid4())
            started = time.perf_counter()
            target = await primary.fetchval("SELECT pg_current_wal_flush_lsn()")
            while await replica.fetchval("SELECT pg_last_wal_replay_lsn() < $1", target):  # noqa: ASYNC110
                await asyncio.sleep(0.0005)
            lags.append((time.perf_counter() - started) * 1000)
    finally:
        await primary.execute("DROP TABLE IF EXISTS bench_lag")
        await primary.close()
        await replica.close()
    return lags


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.replica")
    parser.add_argument("--grants", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="bench-replica-"))
    try:
        admin = start_embedded(data_dir, "postgres")
        primary_url = with_database(admin, "grants")
        with server(data_dir, free_port(), 10):  # creates and migrates the database, then goes
            pass
        funded, _ = asyncio.run(load_ledger(primary_url, args.grants))
        with streaming_replica(admin) as replica_admin:
            replica_url = with_database(replica_admin, "grants")
            urls = (primary_url, replica_url)
            rows = {}
            for mode, env in (
                ("primary only (baseline)", {}),
                ("replica", {"GRANTS_READ_DATABASE_URL": replica_url}),
            ):
                with server(data_dir, free_port(), 10, env) as base:
                    rows[mode] = asyncio.run(window(base, urls, args.seconds, args.clients))
            lags = asyncio.run(visibility_lag(primary_url, replica_url, args.writes))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"grants={funded} clients={args.clients} window={args.seconds:g}s paths={PATHS}")
    print(HEADER)
    print("| --- | --- | --- | --- |")
    for mode, (rate, on_primary, on_replica) in rows.items():
        print(f"| {mode} | {rate:.1f} | {on_primary:.1f} | {on_replica:.1f} |")
    base_rate, base_primary = rows["primary only (baseline)"][:2]
    rate, primary = rows["replica"][:2]
    print(f"requests/s, replica vs primary only: {rate / base_rate:.2f}")
    print(f"primary transactions per request: baseline {base_primary / base_rate:.2f}, "
          f"with the replica {primary / rate:.2f}")  # fmt: skip
    print(
        f"replica visibility lag over {len(lags)} commits: p50 {percentile(lags, 0.5):.2f} ms, "
        f"p99 {percentile(lags, 0.99):.2f} ms"
    )


if __name__ == "__main__":
    main()
