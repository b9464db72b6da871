"""The rebuild part of ``bench all`` alone: its two ratios, as ``bench.all.projections_part``
measures them, without the HTTP, SSE, live-lag and ledger parts around it.

    python -m bench.rebuild_part [--quick] [--size events=N] [--size baseline_events=N]
                                 [--size rounds=N] [--json FILE]

Same sizes, same calls, same order as ``bench.all``: on a log of ``baseline_events``, our
rebuild of the review queue and the ledger together (``bench.all.ours``) against
eventsourcing's ``ProjectionRunner`` (``rebuild_vs_eventsourcing``); on a log of ``events``,
our read+decode of the log (``bench.all.catch_up_rate``) and the same rebuild, rounds
interleaved (``rebuild_vs_catchup``). One embedded server under a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import projections
from bench.all import TARGETS, Sizes, _median, build_parser, catch_up_rate, ours, sizes_of
from bench.usecases import EsApplication, es_env
from service.embedded import start_embedded
from service.settings import Settings
from service.testing import scratch_database

KEYS = ("rebuild_vs_catchup", "rebuild_vs_eventsourcing")


async def rebuild_part(admin: str, sizes: Sizes) -> dict[str, Any]:
    """``bench.all.projections_part`` up to its live-lag measure."""
    settings = Settings(pool_min_size=2, pool_max_size=16, secret_key="x" * 32)
    out: dict[str, Any] = {}
    async with scratch_database(admin, "bench") as url, scratch_database(admin, "bench") as es_url:
        pool, store = await projections._open(settings, url)
        es = EsApplication(env=es_env(es_url, 4))
        try:
            total = await projections.write_log(store, es, sizes.baseline_events)
            small, es_rates = [], []
            for _ in range(sizes.rounds):
                small.append(await ours(pool, store, total))
                es_rates.append(
                    await asyncio.to_thread(projections.es_rebuild, es_env(es_url, 4), total)
                )
        finally:
            es.close()
            await projections._close(pool, store)
    es_rate = statistics.median(es_rates)
    out |= {
        "baseline_events": total,
        "baseline_rebuild_per_s": _median(small, "both_per_s"),
        "eventsourcing_runner_per_s": es_rate,
        "rebuild_vs_eventsourcing": _median(small, "both_per_s") / es_rate,
    }
    async with scratch_database(admin, "bench") as url:
        pool, store = await projections._open(settings, url)
        try:
            events = await projections.write_log(store, None, sizes.events)
            large, catch = [], []
            for _ in range(sizes.rounds):
                catch.append(await catch_up_rate(store))
                large.append(await ours(pool, store, events))
        finally:
            await projections._close(pool, store)
    catchup = statistics.median(catch)
    return out | {
        "rebuild_events": events,
        "rebuild_events_per_s": _median(large, "both_per_s"),
        "catchup_events_per_s": catchup,
        "rebuild_vs_catchup": _median(large, "both_per_s") / catchup,
    }


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="grants-bench-rebuild-"))
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    admin = start_embedded(data_dir, "postgres")  # outside the event loop
    results = asyncio.run(rebuild_part(admin, sizes_of(args)))
    for key, value in results.items():
        target = " ".join(map(str, TARGETS[key])) if key in TARGETS else ""
        print(f"| {key} | {value:,.2f} | {target} |")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
