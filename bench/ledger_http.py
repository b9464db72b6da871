"""The transparency log under load: proofs over HTTP at 100,000 entries, and what issuing
checkpoints costs funding decisions.

    python -m bench.ledger_http [--entries 100000] [--requests 500] [--rounds 3]
                                [--fund-ops 500] [--fund-rounds 6] [--publish-every 1]

1. Proofs over HTTP. ``grants serve`` in its own process on an embedded PostgreSQL (temporary
   data dir); ``--entries`` synthetic published entries (RFC 8785 JSON, as the log stores them)
   and a signed checkpoint. Per round, one request at a time (as a witness or a citizen waits):
   ``--requests`` inclusion proofs (random index and size), as many consistency proofs (random
   pair of sizes) and, as the baseline, as many ``GET /ledger/key`` (the same server's cheapest
   answer: the floor of HTTP + Litestar on this machine). p50 and p99 in ms, medians of rounds.
2. Funding decisions with and without checkpoint issuance, same process, same database,
   ``--fund-rounds`` rounds, each timing both arms, which alternate going first: ``--fund-ops``
   ``decisions.fund`` calls (8 at a time) while the ledger projection runs live (it catches up
   with the setup's events before the clock starts); the "with" arm also runs the publisher
   every ``--publish-every`` seconds (default 1 s, as in production; 0.1 s is ten times
   harsher). Ratio: the median of the rounds' with / without ratios; target >= 0.95 (issuance
   slows decisions by at most 5 %).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import asyncpg

from bench.http import free_port, percentile, server
from projections import registry, transparency
from service import db, decisions
from service.checkpoints import Checkpoint, Signer
from service.embedded import start_embedded
from service.settings import LEDGER_ORIGIN, Settings
from service.store import EventStore
from service.testing import scratch_database, with_database
from tests.integration.service import support

FILL = """
INSERT INTO ledger_log (idx, entry, leaf_hash, chain_hash)
SELECT i - 1, e, sha256('\\x00'::bytea || e), md5(e::text)
FROM (SELECT i, convert_to(json_build_object(
        'amount_centimes', 100000 + i, 'kind', 'funding_decision', 'seq', i,
        'sector', 'offshoring', 'province', 'zagora')::text, 'UTF8') AS e
      FROM generate_series($1::bigint, $2::bigint) AS i) AS entries
"""
CONCURRENCY = 8


async def fill(url: str, entries: int) -> None:
    """``entries`` published entries and a checkpoint over them."""
    pool = await db.create_pool(Settings(pool_max_size=2, secret_key="x" * 32), url)
    try:
        async with pool.acquire() as conn:
            await db.migrate(conn)
        for start in range(1, entries + 1, 20_000):
            await pool.execute(FILL, start, min(start + 19_999, entries))
        tree = await transparency.cached_tree(pool)
        checkpoint = Checkpoint(LEDGER_ORIGIN, len(tree), tree.root())
        note = Signer.generate(LEDGER_ORIGIN).sign(checkpoint.text)
        await pool.execute(transparency.ISSUE, checkpoint.size, checkpoint.root, note)
    finally:
        await pool.close()


async def timed(client: aiohttp.ClientSession, paths: list[str]) -> list[float]:
    timings = []
    for path in paths:
        started = time.perf_counter()
        async with client.get(path) as response:
            await response.read()
            if response.status != 200:
                raise SystemExit(f"GET {path}: {response.status}")
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def proofs(base: str, entries: int, requests: int, rounds: int) -> dict[str, list[float]]:
    rng = random.Random(15)
    out: dict[str, list[float]] = {}
    async with aiohttp.ClientSession(base_url=base) as client:
        await timed(client, ["/ledger/key"] * 20)  # warm up
        for _ in range(rounds):
            sizes = [rng.randint(2, entries) for _ in range(requests)]
            inclusion = [
                f"/api/v1/ledger/proof/inclusion?index={rng.randrange(n)}&size={n}" for n in sizes
            ]
            consistency = [f"/api/v1/ledger/proof/consistency?from={rng.randrange(1, n)}&to={n}" for n in sizes]  # fmt: skip
            for name, paths in (("inclusion proof", inclusion), ("consistency proof", consistency),
                                ("baseline: /ledger/key", ["/ledger/key"] * requests)):  # fmt: skip
                timings = await timed(client, paths)
                out.setdefault(f"{name} p50", []).append(percentile(timings, 0.50))
                out.setdefault(f"{name} p99", []).append(percentile(timings, 0.99))
    return out


async def funding(admin: str, ops: int, rounds: int, every_s: float) -> dict[str, list[float]]:
    async with scratch_database(admin, "bench") as url:
        return await _funding(url, ops, rounds, every_s)


async def _caught_up(pool: asyncpg.Pool, store: EventStore) -> None:
    """Wait until the ledger projection has read the whole log (the setup's events included)."""
    while True:
        ledger_status = next(p for p in await registry.status(pool, store) if p.name == "ledger")
        if ledger_status.lag_events == 0:
            return
        await asyncio.sleep(0.1)


async def _funding(url: str, ops: int, rounds: int, every_s: float) -> dict[str, list[float]]:
    settings = Settings(pool_min_size=1, pool_max_size=16, secret_key="x" * 32)
    pool = await db.create_pool(settings, url)
    store = EventStore(pool)
    signer = Signer.generate(LEDGER_ORIGIN)
    out: dict[str, list[float]] = {}
    stop_all = asyncio.Event()
    try:
        async with pool.acquire() as conn:
            await db.migrate(conn)
        await registry.ensure_all(pool)
        runner = asyncio.create_task(registry.run_all(pool, store, ["ledger"], stop_all))
        prog = await support.open_programme(store, total_centimes=10**15)
        arms = ("without publisher", "with publisher")
        for n in range(rounds):  # the arms alternate which goes first: no drift favours one
            for arm in arms if n % 2 == 0 else arms[::-1]:
                reviewed = [await support.reviewed(store, prog) for _ in range(ops)]
                await _caught_up(pool, store)  # only the decisions are timed, not the backlog
                stop = asyncio.Event()
                publisher = None
                if arm == "with publisher":
                    publisher = asyncio.create_task(transparency.run_publisher(
                        pool, signer, LEDGER_ORIGIN, every_s=every_s, stop=stop))  # fmt: skip
                counter = iter(reviewed)

                async def worker() -> None:
                    for app in counter:  # noqa: B023 - each round's own iterator, awaited here
                        await decisions.fund(store, application_id=app, decided_by=support.CHAIR,
                                             amount_centimes=100_00)  # fmt: skip

                started = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
                out.setdefault(arm, []).append(ops / (time.perf_counter() - started))
                stop.set()
                if publisher is not None:
                    await publisher
            out.setdefault("pair ratio", []).append(out[arms[1]][-1] / out[arms[0]][-1])
        stop_all.set()
        await runner
        out["checkpoints"] = [float(await pool.fetchval("SELECT count(*) FROM ledger_checkpoints"))]
    finally:
        await store.close()
        await pool.close()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fund-ops", type=int, default=500)
    parser.add_argument("--fund-rounds", type=int, default=6)
    parser.add_argument("--publish-every", type=float, default=1.0)
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="grants-bench-ledger-"))
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    admin = start_embedded(data_dir, "postgres")
    with server(data_dir, free_port(), 4) as base:
        asyncio.run(fill(with_database(admin, "grants"), args.entries))
        http = asyncio.run(proofs(base, args.entries, args.requests, args.rounds))
    fund = asyncio.run(funding(admin, args.fund_ops, args.fund_rounds, args.publish_every))
    med = statistics.median
    print(
        f"rounds={args.rounds} entries={args.entries:,} requests={args.requests} (one at a time); medians"
    )
    print("| measure | p50 (ms) | p99 (ms) | p99 / baseline p99 | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    base_p99 = med(http["baseline: /ledger/key p99"])
    for name in ("inclusion proof", "consistency proof", "baseline: /ledger/key"):
        p50, p99 = med(http[f"{name} p50"]), med(http[f"{name} p99"])
        target = ("p99 < 20 ms: " + ("met" if p99 < 20 else "MISSED")) if "proof" in name else ""
        print(f"| {name} | {p50:.2f} | {p99:.2f} | {p99 / base_p99:.2f}x | {target} |")
    without, with_ = med(fund["without publisher"]), med(fund["with publisher"])
    ratio = med(fund["pair ratio"])  # per round, the arms side by side; drift cancels out
    verdict = "met" if ratio >= 0.95 else "MISSED"
    print(f"| fund ops/s, {CONCURRENCY} at a time, ledger projection live | without publisher {without:,.0f} "
          f"| with publisher every {args.publish_every} s {with_:,.0f} | {ratio:.3f}x | >= 0.95x: {verdict} |")  # fmt: skip
    print(
        f"ratio: median of the per-round ratios ({', '.join(f'{r:.2f}' for r in fund['pair ratio'])})"
    )
    print(f"checkpoints issued: {fund['checkpoints'][0]:.0f}; per round (ops/s): without "
          f"{', '.join(f'{v:,.0f}' for v in fund['without publisher'])}; with "
          f"{', '.join(f'{v:,.0f}' for v in fund['with publisher'])}")  # fmt: skip


if __name__ == "__main__":
    main()
