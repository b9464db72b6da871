"""The public ledger page and the 360Giving export with 10,000 funded grants, over HTTP.

    python -m bench.public [--rounds 3] [--grants 10000] [--clients 8] [--requests 400]
                           [--latency-requests 200]

Starts ``grants serve`` in its own process on an embedded PostgreSQL under a temporary data
dir (projections off in the server), appends the stored events of ``--grants`` applications,
each scored, funded, signed and paid a tranche (``bench.projections.programme_events``, in
batches), then rebuilds the ledger projection from that log, as ``grants projections rebuild``
would. Then, per round:

- ``/ledger`` uncached: GETs without ``If-None-Match``, each of a distinct page
  (``?before=<seq>``), so the server renders every one; requests/s with ``--clients`` at once,
  and p50/p99 of ``--latency-requests`` GETs one after the other (as a visitor waits);
- ``/ledger`` conditional: the same with ``If-None-Match`` holding the page's ETag (304s);
- baseline: a static file of the ledger page's size, written at run time under ``web/static``
  and served by the same server's static router (it sends an ETag but answers 200 with the
  body each time: Litestar's static files do not evaluate ``If-None-Match``); removed after;
- ``GET /open-data/360giving.json`` (whole body) and ``grants export 360giving`` (a child
  process, interpreter start included) for every funded grant.

Medians of the rounds; the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import aiohttp

from bench.http import ROOT, free_port, percentile, server
from bench.projections import programme_events
from projections import ledger, registry
from projections.rebuild import rebuild
from service import db
from service.embedded import start_embedded
from service.settings import Settings
from service.store import EventStore
from service.testing import with_database

HEADER = "| measure | ledger page | static file (same size) | ratio | target |"
#: a funded application writes 10 events with its envelope's (see ``programme_events``)
EVENTS_PER_GRANT = 10
STATIC_DIR = ROOT / "web" / "static"


@dataclass
class Results:
    """Per round: requests/s and latencies (ms) of each mode, export seconds."""

    rate: dict[str, list[float]] = field(default_factory=dict)
    p50: dict[str, list[float]] = field(default_factory=dict)
    p99: dict[str, list[float]] = field(default_factory=dict)
    export: dict[str, list[float]] = field(default_factory=dict)

    def add(self, mode: str, rate: float, timings: list[float]) -> None:
        self.rate.setdefault(mode, []).append(rate)
        self.p50.setdefault(mode, []).append(percentile(timings, 0.50))
        self.p99.setdefault(mode, []).append(percentile(timings, 0.99))


async def load_ledger(url: str, grants: int) -> tuple[int, float]:
    """Append the grants' events, rebuild the ledger; (funded grants in it, seconds)."""
    settings = Settings(pool_max_size=4, secret_key="x" * 32)
    pool = await db.create_pool(settings, url)
    store = EventStore(pool)
    try:
        await registry.ensure_all(pool)
        started = time.perf_counter()
        for batch in programme_events(grants * EVENTS_PER_GRANT, fund_every=1):
            await store.insert_events(batch)
        await rebuild(pool, store, ledger.PROJECTION)
        seconds = time.perf_counter() - started
        await pool.execute("ANALYZE ledger_entries")
        funded = await pool.fetchval(
            "SELECT count(DISTINCT application_id) FROM ledger_entries WHERE amount_centimes > 0"
            " AND kind = 'funding_decision'"
        )
        return funded, seconds
    finally:
        await store.close()
        await pool.close()


async def timed_gets(
    client: aiohttp.ClientSession, paths: list[str], clients: int, etags: dict[str, str] | None
) -> tuple[float, list[float]]:
    """GET every path, ``clients`` at a time; (requests/s, milliseconds per request)."""
    work, timings = iter(paths), []
    expected = 304 if etags else 200

    async def one() -> None:
        for path in work:
            headers = {"If-None-Match": etags[path]} if etags else {}
            started = time.perf_counter()
            async with client.get(path, headers=headers) as response:
                body = await response.read()
            timings.append((time.perf_counter() - started) * 1000)
            if response.status != expected:
                raise SystemExit(f"GET {path}: {response.status} {body[:300]!r}")

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    return len(paths) / (time.perf_counter() - started), timings


async def etags_of(client: aiohttp.ClientSession, paths: list[str]) -> dict[str, str]:
    tags = {}
    for path in set(paths):
        async with client.get(path) as response:
            await response.read()
            tags[path] = response.headers["ETag"]
    return tags


def run_export(data_dir: Path, out: Path) -> float:
    """Seconds of ``grants export 360giving --out`` in a child process."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    env |= {"GRANTS_DATA_DIR": str(data_dir), "GRANTS_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "web.cli.main", "export", "360giving", "--out", str(out)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"grants export 360giving failed: {done.stderr[-2000:]}")
    return seconds


async def bench(args: argparse.Namespace, data_dir: Path, base: str) -> tuple[Results, dict]:
    results, facts = Results(), {}
    connector = aiohttp.TCPConnector(limit=args.clients)
    async with aiohttp.ClientSession(base_url=base, connector=connector) as client:
        async with client.get("/ledger") as response:
            page = await response.read()
        static = STATIC_DIR / f"bench-ledger-{os.getpid()}-{uuid4().hex[:8]}.html"
        static.write_bytes(page)  # same size (and bytes) as the ledger's first page
        atexit.register(static.unlink, missing_ok=True)
        head = await client.get("/open-data/ledger.json")  # seqs to page from
        seqs = [e["seq"] for e in (await head.json())["entries"]]
        head.release()
        facts |= {"page_bytes": len(page), "static": static.name, "entries": len(seqs)}
        n = max(args.requests, args.latency_requests)
        step = max(1, len(seqs) // n)
        distinct = [f"/ledger?before={s}" for s in seqs[::-step][:n]]
        distinct += ["/ledger"] * (n - len(distinct))  # tiny sizes: fewer entries than requests
        etags = await etags_of(client, distinct)
        modes = {
            "ledger uncached": (distinct, None),
            "ledger conditional (304)": (distinct, etags),
            "static file": ([f"/static/{static.name}"] * n, None),
        }
        await timed_gets(client, distinct[:20], 4, None)  # warm up
        for _ in range(args.rounds):
            for mode, (paths, tags) in modes.items():
                rate, _ = await timed_gets(client, paths[: args.requests], args.clients, tags)
                _, timings = await timed_gets(client, paths[: args.latency_requests], 1, tags)
                results.add(mode, rate, timings)
            started = time.perf_counter()
            async with client.get("/open-data/360giving.json") as response:
                document = await response.json()
            results.export.setdefault("GET /open-data/360giving.json", []).append(
                time.perf_counter() - started
            )
            facts["exported"] = len(document["grants"])
            out = data_dir / "360giving.json"
            seconds = await asyncio.to_thread(run_export, data_dir, out)
            results.export.setdefault("grants export 360giving", []).append(seconds)
            facts["export_bytes"] = out.stat().st_size
    return results, facts


def table(r: Results, facts: dict, args: argparse.Namespace) -> list[str]:
    med = statistics.median
    static_rate = med(r.rate["static file"])
    lines = [
        f"rounds={args.rounds} grants={args.grants:,} ledger entries={facts['entries']:,} "
        f"(loaded and projected in {facts['load_s']:.1f} s) clients={args.clients} "
        f"requests={args.requests} latency requests={args.latency_requests} (one at a time); "
        f"page {facts['page_bytes']:,} bytes, static file /static/{facts['static']} "
        f"({facts['page_bytes']:,} bytes)",
        HEADER,
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for mode, target in (("ledger uncached", ""), ("ledger conditional (304)", ">= 0.5x")):
        rate = med(r.rate[mode])
        lines.append(
            f"| {mode}, {args.clients} clients (req/s) | {rate:,.0f} | {static_rate:,.0f} | "
            f"{rate / static_rate:.2f}x | {target} |"
        )
    static_p99 = med(r.p99["static file"])
    for mode, target in (("ledger uncached", "< 50 ms"), ("ledger conditional (304)", "")):
        p50, p99 = med(r.p50[mode]), med(r.p99[mode])
        lines.append(
            f"| {mode} p99 / p50 (ms) | {p99:.1f} / {p50:.1f} | {static_p99:.1f} / "
            f"{med(r.p50['static file']):.1f} | {p99 / static_p99:.2f}x | {target} |"
        )
    for name, seconds in r.export.items():
        lines.append(
            f"| {name}, {facts['exported']:,} grants (s) | {med(seconds):.2f} | | | < 2 s |"
        )
    lines.append(f"360Giving file: {facts['export_bytes']:,} bytes")
    lines.append(
        "per round (req/s): "
        + "; ".join(f"{mode} {', '.join(f'{v:,.0f}' for v in v)}" for mode, v in r.rate.items())
    )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--grants", type=int, default=10_000, help="funded grants in the ledger")
    parser.add_argument("--clients", type=int, default=8, help="concurrent GETs for req/s")
    parser.add_argument("--requests", type=int, default=400, help="GETs per mode and round")
    parser.add_argument("--latency-requests", type=int, default=200)
    parser.add_argument("--pool-size", type=int, default=16, help="the server's asyncpg pool")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="grants-bench-public-"))
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    admin = start_embedded(data_dir, "postgres")
    with server(data_dir, free_port(), args.pool_size) as base:
        funded, load_s = asyncio.run(load_ledger(with_database(admin, "grants"), args.grants))
        if funded != args.grants:
            raise SystemExit(f"expected {args.grants} funded grants in the ledger, found {funded}")
        results, facts = asyncio.run(bench(args, data_dir, base))
    facts["load_s"] = load_s
    for line in table(results, facts, args):
        print(line)


if __name__ == "__main__":
    main()
