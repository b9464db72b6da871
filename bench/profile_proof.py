"""Where a proof's time goes, in process, at 100,000 published entries (the profile behind the
in-memory proof path of ``projections.transparency.tree_covering``).

    python -m bench.profile_proof [--entries 100000] [--requests 2000]

Times, interleaved one by one and reported as p50/p99 in ms: the database round trip that
:func:`cached_tree` makes on every call (warm: no new leaf), the proof computed from the tree,
and :func:`tree_covering` when its tree is fresh (no round trip).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import random
import shutil
import tempfile
import time
from pathlib import Path

from bench.http import percentile
from bench.ledger_http import fill
from projections import transparency
from service import db
from service.embedded import start_embedded
from service.settings import Settings
from service.testing import with_database


async def profile(url: str, entries: int, requests: int) -> dict[str, list[float]]:
    await fill(url, entries)
    pool = await db.create_pool(Settings(pool_max_size=2, secret_key="x" * 32), url)
    rng = random.Random(15)
    out: dict[str, list[float]] = {"round trip (cached_tree)": [], "inclusion proof": [],
                                   "consistency proof": [], "tree_covering, fresh": []}  # fmt: skip
    try:
        tree = await transparency.cached_tree(pool)
        for _ in range(requests):
            n = rng.randint(2, entries)
            started = time.perf_counter()
            await transparency.cached_tree(pool)
            out["round trip (cached_tree)"].append(time.perf_counter() - started)
            started = time.perf_counter()
            tree.inclusion_proof(rng.randrange(n), n)
            out["inclusion proof"].append(time.perf_counter() - started)
            started = time.perf_counter()
            tree.consistency_proof(rng.randrange(1, n), n)
            out["consistency proof"].append(time.perf_counter() - started)
            started = time.perf_counter()
            await transparency.tree_covering(pool, n)
            out["tree_covering, fresh"].append(time.perf_counter() - started)
    finally:
        await pool.close()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="grants-bench-profile-"))
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    admin = start_embedded(data_dir, "postgres")
    out = asyncio.run(profile(with_database(admin, "postgres"), args.entries, args.requests))
    print(f"entries={args.entries:,} requests={args.requests} (interleaved)")
    print("| step | p50 (ms) | p99 (ms) |")
    print("| --- | ---: | ---: |")
    for name, seconds in out.items():
        ms = [s * 1000 for s in seconds]
        print(f"| {name} | {percentile(ms, 0.5):.3f} | {percentile(ms, 0.99):.3f} |")


if __name__ == "__main__":
    main()
