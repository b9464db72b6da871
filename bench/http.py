"""HTTP load on loopback: API submit throughput and the committee queue's p99, vs a bare save.

    python -m bench.http [--rounds 3] [--clients 32] [--ops 640] [--queue-rows 10000]
                         [--queue-requests 300] [--queue-path /api/v1/queue]

Starts ``grants serve`` in its own process on an embedded PostgreSQL under a temporary data
dir (projections off: the queue's 10,000 files are written straight into its table), signs in
``--clients`` investors over the API and has them submit applications concurrently. The
baseline, in the same run and on the same PostgreSQL server, is eventsourcing's
``Application.save()`` of the same aggregate with as many threads and no HTTP at all
(``bench.usecases``). Then the chair reads the queue page ``--queue-requests`` times; its p99
is what a committee member waits for. Medians of the rounds; the machine is noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import aiohttp
import pyotp

from bench.usecases import EsApplication, es_env, es_submit
from projections.review_page import SETTLE
from service import accounts, db, mfa, programme
from service.embedded import start_embedded
from service.passwords import Passwords
from service.settings import Settings
from service.store import EventStore
from service.testing import scratch_database, with_database
from tests.integration.service import support

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password, long enough"  # noqa: S105 - throw-away benchmark accounts
# The server's key and the chair's authenticator: staff API log-ins need the second factor.
SECRET_KEY = "bench-only secret key, never deployed"  # noqa: S105
CHAIR_TOTP = "BENCHCHAIRTOTPSECRETKEY234567ABC"
HEADER = "| measure | grants over HTTP | baseline | ratio | target |"
SECTORS = ("offshoring", "agri_food", "tourism", "mining", "crafts", "renewable_energy")
PROVINCES = ("errachidia", "ouarzazate", "midelt", "tinghir", "zagora")
SEED_FILES = """
INSERT INTO review_files (application_id, envelope_id, call_id, title, company_name, sector,
    province, requested_centimes, status, submitted_at)
SELECT gen_random_uuid(), $1, NULL, 'Projet ' || i, 'Société ' || i,
       ($2::text[])[1 + i % array_length($2::text[], 1)],
       ($3::text[])[1 + i % array_length($3::text[], 1)],
       (100000 + (i * 7919) % 9000000) * 100,
       (ARRAY['submitted', 'in_review', 'in_review', 'in_review', 'funded', 'rejected'])[1 + i % 6],
       now() - make_interval(mins => i)
FROM generate_series(1, $4) AS i
"""
SEED_SCORES = """
INSERT INTO review_reviewers (application_id, reviewer_id, assigned, conflicted, weighted_score,
    revision)
SELECT f.application_id, r.reviewer_id, true, false, (hashtext(f.application_id::text || r.n) & 8191)
       % 10001, 1
FROM review_files f
CROSS JOIN (SELECT gen_random_uuid() AS reviewer_id, n FROM generate_series(1, 3) AS n) r
WHERE f.status <> 'submitted' AND r.n <= 2
"""
SEED_ENVELOPE = "INSERT INTO review_envelopes (envelope_id, remaining_centimes) VALUES ($1, $2)"


@dataclass
class Results:
    """Per round: API submits/s, bare saves/s, queue p50 and p99 in ms."""

    api: list[float] = field(default_factory=list)
    save: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def server(
    data_dir: Path,
    port: int,
    pool_size: int,
    extra_env: dict[str, str] | None = None,
    python_args: tuple[str, ...] = (),
) -> Iterator[str]:
    """``grants serve`` in a child process; yields its base URL once /healthz answers."""
    log = data_dir / "serve.log"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "GRANTS_DATA_DIR": str(data_dir),
        "GRANTS_HOST": "127.0.0.1",
        "GRANTS_PORT": str(port),
        "GRANTS_RUN_PROJECTIONS": "0",
        "GRANTS_POOL_MAX_SIZE": str(pool_size),
        "GRANTS_LOG_LEVEL": "WARNING",
        "GRANTS_SECRET_KEY": SECRET_KEY,
    } | (extra_env or {})
    with log.open("w") as out:
        child = subprocess.Popen(
            [sys.executable, *python_args, "-m", "web.cli.main", "serve"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, child, log)
        yield base
    finally:
        child.terminate()
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            child.kill()


def _wait_healthy(base: str, child: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"grants serve exited:\n{log.read_text()[-2000:]}")
        if _answers(base + "/healthz"):
            return
        time.sleep(0.2)
    raise SystemExit(f"grants serve did not answer within 90 s:\n{log.read_text()[-2000:]}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - http://127.0.0.1
            return bool(response.status == 200)
    except OSError:
        return False


async def sign_in(
    base: str, email: str, totp_secret: str | None = None
) -> tuple[aiohttp.ClientSession, str]:
    """A client with a session for ``email`` and the CSRF token its unsafe requests carry.

    aiohttp rather than httpx: the load generator shares the machine's cores with the server
    and PostgreSQL, and aiohttp spends several times less CPU per request.
    """
    # uvicorn closes a connection idle for 5 s; aiohttp would keep it 15 s and then write a
    # request into a closing socket (after a long pause of the bench, e.g. seeding). Drop
    # idle connections first.
    client = aiohttp.ClientSession(
        base_url=base,
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        connector=aiohttp.TCPConnector(keepalive_timeout=3),
    )
    async with client.get("/api/v1/session") as response:
        start = (await response.json())["csrf_token"]
    login = {"email": email, "password": PASSWORD}
    if totp_secret is not None:
        login["totp"] = pyotp.TOTP(totp_secret).now()
    async with client.post("/api/v1/session", json=login, headers={"X-CSRF-Token": start}) as r:
        r.raise_for_status()
        return client, (await r.json())["csrf_token"]


def application(envelope_id: UUID) -> dict[str, Any]:
    return {
        "envelope_id": str(envelope_id),
        "applicant": asdict(support.applicant()),
        "contact": asdict(support.CONTACT),
        "project": asdict(support.project()),
    }


async def api_submits(
    clients: list[tuple[aiohttp.ClientSession, str]], envelope_id: UUID, ops: int
) -> float:
    """``ops`` submissions shared by the signed-in clients, all at once; submissions per second."""
    counter = iter(range(ops))
    bodies = [application(envelope_id) for _ in range(ops)]

    async def work(client: aiohttp.ClientSession, token: str) -> None:
        for i in counter:
            async with client.post(
                "/api/v1/applications", json=bodies[i], headers={"X-CSRF-Token": token}
            ) as response:
                if response.status != 201:
                    raise SystemExit(f"submit failed: {response.status} {await response.text()}")

    started = time.perf_counter()
    await asyncio.gather(*(work(c, t) for c, t in clients))
    return ops / (time.perf_counter() - started)


async def queue_latencies(client: aiohttp.ClientSession, path: str, requests: int) -> list[float]:
    """Milliseconds per GET of the queue (body read), one after the other, as a member waits."""
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        async with client.get(path) as response:
            body = await response.read()
        timings.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise SystemExit(f"queue failed: {response.status} {body[:300]!r}")
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def seed(url: str, clients: int, queue_rows: int) -> UUID:
    """Investor and chair accounts, an envelope, and ``queue_rows`` files in the queue table."""
    pool = await db.create_pool(Settings(pool_max_size=4, secret_key=SECRET_KEY), url)
    passwords = Passwords()
    try:
        for i in range(clients):
            await accounts.create_user(
                pool=pool, passwords=passwords, email=f"investor{i}@bench.ma",
                display_name=f"Investor {i}", role="investor", password=PASSWORD,
            )  # fmt: skip
        chair = await accounts.create_user(
            pool=pool, passwords=passwords, email="chair@bench.ma", display_name="Chair",
            role="chair", password=PASSWORD,
        )  # fmt: skip
        await mfa.enrol(pool, SECRET_KEY, chair.id, CHAIR_TOTP)
        store = EventStore(pool)
        envelope_id = await programme.open_envelope(store, total_centimes=10**15)
        queue_envelope = uuid4()
        await pool.execute(SEED_FILES, queue_envelope, list(SECTORS), list(PROVINCES), queue_rows)
        await pool.execute(SEED_SCORES)
        await pool.execute(SEED_ENVELOPE, queue_envelope, 5_000_000_000)
        # Written behind the projection's back: store their scores and line as a page would.
        await pool.execute(SETTLE)
        await pool.execute("ANALYZE")
        await store.close()
        return envelope_id
    finally:
        await pool.close()


async def bench(args: argparse.Namespace, data_dir: Path, base: str, admin: str) -> Results:
    envelope_id = await seed(with_database(admin, "grants"), args.clients, args.queue_rows)
    clients = [await sign_in(base, f"investor{i}@bench.ma") for i in range(args.clients)]
    chair, _ = await sign_in(base, "chair@bench.ma", CHAIR_TOTP)
    results = Results()
    async with scratch_database(admin, "bench_es") as es_url:
        es = EsApplication(env=es_env(es_url, args.clients))
        try:
            await api_submits(clients, envelope_id, min(args.ops, 4 * args.clients))  # warm up
            await asyncio.to_thread(es_submit, es, envelope_id, args.clients, args.clients)
            await queue_latencies(chair, args.queue_path, 3)
            for _ in range(args.rounds):
                results.api.append(await api_submits(clients, envelope_id, args.ops))
                rate = await asyncio.to_thread(es_submit, es, envelope_id, args.ops, args.clients)
                results.save.append(rate)
                timings = await queue_latencies(chair, args.queue_path, args.queue_requests)
                results.p50.append(percentile(timings, 0.50))
                results.p99.append(percentile(timings, 0.99))
        finally:
            es.close()
            for client, _ in clients:
                await client.close()
            await chair.close()
    return results


def table(results: Results, args: argparse.Namespace) -> Iterator[str]:
    api, save = statistics.median(results.api), statistics.median(results.save)
    p50, p99 = statistics.median(results.p50), statistics.median(results.p99)
    yield (
        f"rounds={args.rounds} clients={args.clients} ops={args.ops} "
        f"queue: {args.queue_rows:,} files, {args.queue_requests} requests of {args.queue_path}"
    )
    yield HEADER
    yield "| --- | ---: | ---: | ---: | --- |"
    yield (
        f"| submit, {args.clients} concurrent clients (ops/s) | {api:,.0f} | "
        f"{save:,.0f} (Application.save, no HTTP) | {api / save:.2f}x | >= 1.5x |"
    )
    yield f"| queue page p99 (ms) | {p99:.1f} | | | < 50 ms |"
    yield f"| queue page p50 (ms) | {p50:.1f} | | | |"
    yield "per round: " + "; ".join(
        f"api {a:,.0f}/s save {s:,.0f}/s p99 {p:.1f} ms"
        for a, s, p in zip(results.api, results.save, results.p99, strict=True)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--ops", type=int, default=640, help="submissions per round")
    parser.add_argument("--queue-rows", type=int, default=10_000)
    parser.add_argument("--queue-requests", type=int, default=300)
    parser.add_argument("--queue-path", default="/api/v1/queue")
    parser.add_argument("--pool-size", type=int, default=32, help="the server's asyncpg pool")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="grants-bench-http-"))
    # atexit runs last-registered first: the embedded server stops before its folder goes.
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    admin = start_embedded(data_dir, "postgres")  # outside the event loop, before the server
    with server(data_dir, free_port(), args.pool_size) as base:
        results = asyncio.run(bench(args, data_dir, base, admin))
    for line in table(results, args):
        print(line)


if __name__ == "__main__":
    main()
