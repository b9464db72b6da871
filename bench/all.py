"""Every read-side benchmark in one run, its ratios written as JSON (issue 16 item 6).

    grants bench all [--quick] [--json FILE]          (python3 dev.py bench all --quick ...)

One embedded PostgreSQL under a temporary folder serves every part, one after the other:

1. **HTTP** (``bench.http``): ``grants serve`` in its own process, projections off. Investors
   submit over the API, then eventsourcing's ``Application.save()`` of the same aggregate with as
   many threads and no HTTP (``submit_vs_save``); the chair reads ``/api/v1/queue`` over
   100,000 files whose scores and line the projection stored (``queue_p99_ms``).
2. **SSE** (``bench.sse``, its own server with projections on): 1 viewer, then ``--viewers``
   viewers of ``/events/public`` while applications are appended (2 a second), the database's
   transactions per second with many over with one (``sse_db_queries_per_s_1_vs_500``), the
   ratio at rest and the per-viewer polling design's beside it. At rest the count is the idle
   server's own periodic work, 2 to 17 transactions in a 10 s window whoever watches: counted
   that way (the server of part 1, at rest), three full runs reported 1.00, 8.5 and 2.0; under
   a writer the counts are large.
3. **Rebuild** (``bench.projections``): on one log, our rebuild of the review queue and the
   ledger together (one read and decode of the log for both, ``rebuild_many``), against
   eventsourcing's ``ProjectionRunner`` applying the same stored events to an equivalent view
   (``rebuild_vs_eventsourcing``); on a larger log, the same rebuild against our own
   read+decode of that log (``rebuild_vs_catchup``, the physical limit of the design), rounds
   interleaved, and its rate (``rebuild_events_per_s``: events of the log per second).
4. **Live lag**: submissions at 80 % of the API's sustained rate from part 1 while every
   projection runs in the process; lag from a command's acknowledgement to its queue row.
5. **Transparency log** (``bench.ledger_http``, issue 15): inclusion and consistency proofs over
   HTTP at ``ledger_entries`` published entries against the same server's cheapest answer,
   interleaved (``ledger_inclusion_p99_ms``, ``ledger_consistency_p99_ms`` and their ratios to
   the baseline's p99); funding decisions with the checkpoint publisher against without, the
   median of per-round ratios (``funding_with_publisher_vs_without``).

``--quick`` keeps every measure but shrinks the logs and rounds (under 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import http, ledger_http, projections, sse
from bench.usecases import EsApplication, es_env
from projections import ledger, review_queue
from projections.rebuild import rebuild_many
from service.embedded import start_embedded
from service.repository import new_mapper
from service.settings import Settings
from service.testing import scratch_database, with_database

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore


@dataclass(frozen=True, kw_only=True)
class Sizes:
    """How big each part is."""

    clients: int
    ops: int
    rounds: int
    queue_rows: int
    queue_requests: int
    baseline_events: int
    events: int
    live_seconds: float
    viewers: int
    sse_seconds: float
    ledger_entries: int = 100_000
    ledger_requests: int = 300
    ledger_rounds: int = 3
    #: Rounds of a second or more, so that the publisher's 1 s ticks fall in the "with" arm.
    fund_ops: int = 600
    fund_rounds: int = 10


FULL = Sizes(
    clients=32, ops=640, rounds=3, queue_rows=100_000, queue_requests=300,
    baseline_events=20_000, events=1_000_000, live_seconds=10, viewers=500, sse_seconds=10,
)  # fmt: skip
QUICK = Sizes(
    clients=16, ops=320, rounds=1, queue_rows=100_000, queue_requests=200,
    baseline_events=3_000, events=50_000, live_seconds=5, viewers=500, sse_seconds=5,
    ledger_requests=150, ledger_rounds=3, fund_ops=300, fund_rounds=6,
)  # fmt: skip
TARGETS: dict[str, tuple[str, float]] = {
    "rebuild_vs_catchup": (">=", 0.6),
    "rebuild_vs_eventsourcing": (">=", 50),
    "live_lag_p99_ms": ("<", 100),
    "queue_p99_ms": ("<", 50),
    "submit_vs_save": (">=", 1.0),
    "sse_db_queries_per_s_1_vs_500": ("<=", 1.5),
    "ledger_inclusion_p99_ms": ("<", 20),
    "ledger_consistency_p99_ms": ("<", 20),
    "funding_with_publisher_vs_without": (">=", 0.95),
}


# --- 1 and 2: over HTTP -------------------------------------------------------------------


def http_part(sizes: Sizes, data_dir: Path, admin: str) -> dict[str, float]:
    """API submissions against ``Application.save()``, the queue's latency."""
    options = argparse.Namespace(
        rounds=sizes.rounds, clients=sizes.clients, ops=sizes.ops, queue_rows=sizes.queue_rows,
        queue_requests=sizes.queue_requests, queue_path="/api/v1/queue", pool_size=32,
    )  # fmt: skip
    with http.server(data_dir, http.free_port(), options.pool_size) as base:
        results = asyncio.run(http.bench(options, data_dir, base, admin))
    api, save = statistics.median(results.api), statistics.median(results.save)
    return {
        "submit_api_per_s": api,
        "save_per_s": save,
        "submit_vs_save": api / save,
        "queue_files": sizes.queue_rows,
        "queue_p50_ms": statistics.median(results.p50),
        "queue_p99_ms": statistics.median(results.p99),
    }


def sse_part(sizes: Sizes) -> dict[str, Any]:
    """The live streams' database work with many viewers over one (``bench.sse.sse_ratio``);
    a ratio with nothing to divide by (no transaction with one viewer) is None."""
    figures = sse.sse_ratio(viewers=sizes.viewers, seconds=sizes.sse_seconds)
    under_writer = next(k for k in figures if k.startswith("sse_db_queries_per_s_1_vs_"))
    ratios = {"sse_db_queries_per_s_1_vs_500": figures.pop(under_writer), **figures}
    return {"sse_viewers": sizes.viewers} | {
        key: None if math.isinf(value) else value for key, value in ratios.items()
    }


# --- 3 and 4: in process --------------------------------------------------------------------


async def catch_up_rate(store: EventStore, page_size: int = 2000) -> float:
    """Our own read+decode of the whole log, as a rebuild reads it: events per second."""
    mapper, position, read = new_mapper(), None, 0
    started = time.perf_counter()
    while page := await store.select_notifications(position, page_size):
        for notification in page:
            mapper.to_domain_event(notification)
        position, read = page[-1].position, read + len(page)
    return read / (time.perf_counter() - started)


async def ours(pool: asyncpg.Pool, store: EventStore, events: int) -> dict[str, float]:
    """The rate over the log of one rebuild of the queue and the ledger together (one read and
    decode of each page for both, as ``grants projections rebuild review_queue ledger``)."""
    started = time.perf_counter()
    await rebuild_many(pool, store, [review_queue.PROJECTION, ledger.PROJECTION])
    return {"both_per_s": events / (time.perf_counter() - started)}


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


async def rebuild_part(admin: str, sizes: Sizes) -> dict[str, Any]:
    """The rebuild's two ratios: against eventsourcing on the small log, against our own
    read+decode on the large one (``python -m bench.rebuild_part`` runs this alone)."""
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


async def projections_part(admin: str, sizes: Sizes, live_rate: float) -> dict[str, Any]:
    out = await rebuild_part(admin, sizes)
    settings = Settings(pool_min_size=2, pool_max_size=16, secret_key="x" * 32)
    async with scratch_database(admin, "bench") as url:
        pool, store = await projections._open(settings, url)
        try:
            lags, achieved = await projections.live_lag(pool, store, live_rate, sizes.live_seconds)
        finally:
            await projections._close(pool, store)
    cuts = statistics.quantiles(lags, n=100) if len(lags) > 1 else [0.0] * 99
    return out | {
        "live_rate_asked_per_s": live_rate,
        "live_rate_per_s": achieved,
        "live_submissions": len(lags),
        "live_lag_p50_ms": cuts[49],
        "live_lag_p99_ms": cuts[98],
    }


# --- 5: the transparency log ----------------------------------------------------------------


def ledger_part(sizes: Sizes, data_dir: Path, admin: str) -> dict[str, float]:
    """Proofs over HTTP on a server of their own (a scratch database), then funding with and
    without the checkpoint publisher in this process."""
    with _scratch(admin, "ledger") as url:
        env = {"GRANTS_DATABASE_URL": url}
        asyncio.run(ledger_http.fill(url, sizes.ledger_entries))
        with http.server(data_dir, http.free_port(), 4, extra_env=env) as base:
            proofs = asyncio.run(ledger_http.proofs(
                base, sizes.ledger_entries, sizes.ledger_requests, sizes.ledger_rounds))  # fmt: skip
    fund = asyncio.run(ledger_http.funding(admin, sizes.fund_ops, sizes.fund_rounds, 1.0))
    med = statistics.median
    return {
        "ledger_entries": sizes.ledger_entries,
        "ledger_inclusion_p99_ms": med(proofs["inclusion proof p99"]),
        "ledger_consistency_p99_ms": med(proofs["consistency proof p99"]),
        "ledger_baseline_p99_ms": med(proofs["baseline: /ledger/key p99"]),
        "ledger_inclusion_p99_vs_baseline": med(proofs["inclusion proof p99 ratio"]),
        "ledger_consistency_p99_vs_baseline": med(proofs["consistency proof p99 ratio"]),
        "funding_with_publisher_vs_without": med(fund["pair ratio"]),
        "publisher_tick_ms": med(fund["publish ms"]),
        "publisher_tick_cpu_ms": med(fund["publish cpu ms"]),
    }


@contextlib.contextmanager
def _scratch(admin: str, prefix: str) -> Any:
    """A scratch database for a server in a child process (its own event loop each time)."""
    name = f"{prefix}_{time.monotonic_ns()}"
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(admin, name)
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(admin: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


# --- the run --------------------------------------------------------------------------------


def verdicts(results: dict[str, Any]) -> dict[str, bool]:
    """Each target of the issue: met or not, from this run's numbers."""
    checks = {
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    met = {
        k: results[k] is not None and checks[op](results[k], bound)
        for k, (op, bound) in TARGETS.items()
    }
    met["live_rate_at_least_80_percent_of_api"] = (
        results["live_rate_per_s"] >= 0.8 * results["submit_api_per_s"] * 0.95
    )
    return met


def table(results: dict[str, Any]) -> list[str]:
    lines = ["| measure | value | target | met |", "| --- | ---: | --- | --- |"]
    for key, (op, bound) in TARGETS.items():
        value = results[key]  # None: nothing to divide by in the window (one idle viewer)
        shown = "n/a" if value is None else f"{value:,.2f}"
        lines.append(f"| {key} | {shown} | {op} {bound:g} | {results['met'][key]} |")
    for key in ("rebuild_events", "rebuild_events_per_s", "catchup_events_per_s",
                "eventsourcing_runner_per_s", "live_rate_per_s", "submit_api_per_s",
                "save_per_s", "ledger_baseline_p99_ms", "ledger_inclusion_p99_vs_baseline",
                "ledger_consistency_p99_vs_baseline", "publisher_tick_ms"):  # fmt: skip
        lines.append(f"| {key} | {results[key]:,.1f} | | |")
    return lines


def run(sizes: Sizes, quick: bool) -> dict[str, Any]:
    started = time.perf_counter()
    data_dir = Path(tempfile.mkdtemp(prefix="grants-bench-all-"))
    # atexit runs last-registered first: the embedded server stops before its folder goes.
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    admin = start_embedded(data_dir, "postgres")  # outside the event loop, before the server
    results: dict[str, Any] = {"quick": quick, "sizes": asdict(sizes)}
    results |= http_part(sizes, data_dir, admin)
    results |= sse_part(sizes)
    live_rate = 0.8 * results["submit_api_per_s"]
    results |= asyncio.run(projections_part(admin, sizes, live_rate))
    results |= ledger_part(sizes, data_dir, admin)
    results["wall_seconds"] = time.perf_counter() - started
    results["met"] = verdicts(results)
    return results


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller logs, one round")
    parser.add_argument("--json", type=Path, help="write the results to this file as JSON")
    parser.add_argument(
        "--size", action="append", default=[], metavar="NAME=N",
        help="override one size (e.g. events=200; the suite's smoke test runs tiny)",
    )  # fmt: skip
    return parser


def sizes_of(args: argparse.Namespace) -> Sizes:
    """The quick or full sizes with ``--size`` overrides; a bad one ends with one line."""
    base = asdict(QUICK if args.quick else FULL)
    for item in args.size:
        name, _, value = item.partition("=")
        if name not in base:
            raise SystemExit(f"bench all: unknown size {name!r}; known: {', '.join(base)}")
        try:
            base[name] = type(base[name])(value)
        except ValueError:
            raise SystemExit(f"bench all: {name} must be a number, not {value!r}") from None
    return Sizes(**base)


def main(argv: list[str] | None = None) -> int:
    return run_and_report(build_parser().parse_args(argv))


def run_and_report(args: argparse.Namespace) -> int:
    """Run with ``args`` (as parsed by :func:`build_parser`), print the table, write the JSON."""
    results = run(sizes_of(args), args.quick)
    for line in table(results):
        print(line)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    with contextlib.suppress(BrokenPipeError):
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
