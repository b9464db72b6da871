"""Use cases end to end on PostgreSQL, against eventsourcing's own Application.save().

    python -m bench.usecases [--url postgresql://...] [--rounds 3] [--ops 400]

Per round and concurrency (8, 32), interleaved: our ``submit`` use case (asyncio, asyncpg;
it also encrypts the contact under a per-person key, one more INSERT and SELECT), then
eventsourcing 9.5's ``Application.save()`` of the same ``GrantApplication.submit`` aggregate on
its ``PostgresApplicationRecorder`` (psycopg pool, thread pool of the same size, msgspec
transcoder so both encode alike), then our ``fund`` use case: two aggregates in one append,
all on one envelope. Prints the median throughput of the rounds, the ratio, and fund's retries.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid4

from eventsourcing.application import Application

from domain.applications import GrantApplication
from service import applications, commands, db, decisions, programme
from service.settings import Settings
from service.store import EventStore
from service.testing import scratch_database, server_url
from service.transcoder import MsgspecTranscoder
from tests.integration.service import support

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

CONCURRENCY = (8, 32)


class EsApplication(Application[UUID]):
    """eventsourcing's Application with the same msgspec transcoder as ours."""

    def construct_transcoder(self) -> MsgspecTranscoder:  # type: ignore[override]
        return MsgspecTranscoder()


@dataclass
class Row:
    name: str
    concurrency: int
    ops_per_s: list[float]
    retries: int = 0
    commands: int = 0


def es_env(url: str, pool_size: int) -> dict[str, str]:
    parts = urlsplit(url)
    host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[0]
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/"),
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": parts.username or "postgres",
        "POSTGRES_PASSWORD": parts.password or "",
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "0",
    }


def facts(envelope_id: UUID) -> dict[str, Any]:
    return {
        "investor_id": uuid4(), "envelope_id": envelope_id, "call_id": None,
        "person_id": uuid4(), "contact": b"\x00" * 60,
        **asdict(support.applicant()), **asdict(support.project()),
    }  # fmt: skip


async def run_async(ops: int, concurrency: int, op: Callable[[int], Awaitable[Any]]) -> float:
    """Run ``ops`` operations with ``concurrency`` workers; return operations per second."""
    counter = iter(range(ops))

    async def worker() -> None:
        for i in counter:
            await op(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ops / (time.perf_counter() - started)


def run_threads(ops: int, concurrency: int, op: Callable[[int], Any]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as threads:
        list(threads.map(op, range(ops)))
    return ops / (time.perf_counter() - started)


async def ours_submit(store: EventStore, envelope_id: UUID, ops: int, c: int) -> float:
    async def op(_: int) -> None:
        await applications.submit(
            store, investor_id=uuid4(), envelope_id=envelope_id, applicant=support.applicant(),
            contact=support.CONTACT, project=support.project(),
        )  # fmt: skip

    return await run_async(ops, c, op)


def es_submit(app: EsApplication, envelope_id: UUID, ops: int, c: int) -> float:
    def op(_: int) -> None:
        app.save(
            GrantApplication.submit(
                application_id=uuid4(), at=support.clock(), **facts(envelope_id)
            )
        )

    return run_threads(ops, c, op)


async def ours_fund(store: EventStore, ops: int, c: int) -> tuple[float, int, int]:
    """Fund ``ops`` reviewed applications on one envelope; returns (ops/s, retries, commands)."""
    prog = await support.open_programme(store, total_centimes=10**15)
    reviewed = await asyncio.gather(*(support.reviewed(store, prog) for _ in range(ops)))
    commands.metrics.reset()

    async def op(i: int) -> None:
        await decisions.fund(
            store, application_id=reviewed[i], decided_by=support.CHAIR, amount_centimes=100_00
        )

    rate = await run_async(ops, c, op)
    return rate, commands.metrics.retries, commands.metrics.commands


async def bench(admin: str, rounds: int, ops: int) -> list[Row]:
    async with (
        scratch_database(admin, "bench") as ours_url,
        scratch_database(admin, "bench") as es_url,
    ):
        settings = Settings(pool_min_size=1, pool_max_size=max(CONCURRENCY), secret_key="x" * 32)
        pool = await db.create_pool(settings, ours_url)
        async with pool.acquire() as conn:
            await db.migrate(conn)
        store = EventStore(pool)
        es = EsApplication(env=es_env(es_url, max(CONCURRENCY)))
        envelope_id = await programme.open_envelope(store)
        rows = {(n, c): Row(n, c, []) for n in ("submit", "es_save", "fund") for c in CONCURRENCY}
        try:
            for _ in range(rounds):
                for c in CONCURRENCY:
                    rows["submit", c].ops_per_s.append(
                        await ours_submit(store, envelope_id, ops, c)
                    )
                    rate = await asyncio.to_thread(es_submit, es, envelope_id, ops, c)
                    rows["es_save", c].ops_per_s.append(rate)
                    rate, retries, count = await ours_fund(store, max(ops // 4, c), c)
                    row = rows["fund", c]
                    row.ops_per_s.append(rate)
                    row.retries, row.commands = row.retries + retries, row.commands + count
        finally:
            es.close()
            await store.close()
            await pool.close()
    return list(rows.values())


def table(rows: list[Row], rounds: int, ops: int) -> Iterator[str]:
    median = {(r.name, r.concurrency): statistics.median(r.ops_per_s) for r in rows}
    yield f"rounds={rounds} ops={ops} (fund: ops/4 per round), median ops/s"
    yield "| concurrency | submit (ours) | Application.save (eventsourcing) | ratio | fund (2 aggregates) | fund retries |"
    yield "| ---: | ---: | ---: | ---: | ---: | ---: |"
    for c in CONCURRENCY:
        fund = next(r for r in rows if r.name == "fund" and r.concurrency == c)
        ours, theirs = median["submit", c], median["es_save", c]
        retry_rate = fund.retries / fund.commands if fund.commands else 0.0
        yield (
            f"| {c} | {ours:,.0f} | {theirs:,.0f} | {ours / theirs:.2f}x | {median['fund', c]:,.0f} "
            f"| {fund.retries}/{fund.commands} ({retry_rate:.1%}) |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL admin URL (default: the embedded test server)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ops", type=int, default=400)
    args = parser.parse_args(argv)
    admin = server_url(args.url)  # may start the embedded server: outside the event loop
    rows = asyncio.run(bench(admin, args.rounds, args.ops))
    for line in table(rows, args.rounds, args.ops):
        print(line)


if __name__ == "__main__":
    main()
