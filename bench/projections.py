"""Projection rebuild and live lag, against eventsourcing 9.5's ``ProjectionRunner``.

    python -m bench.projections [--url postgresql://...] [--events 1000000]
                                [--baseline-events 20000] [--rounds 3] [--large-rounds 1]
                                [--rate 500] [--seconds 10]

1. Side by side on one log of ``--baseline-events`` events (applications submitted, assigned,
   reviewed, half of them funded, signed and paid a tranche): our rebuild of the review queue
   and of the ledger (``projections.rebuild``: pages of events, one transaction per page,
   swapped in), then eventsourcing's ``ProjectionRunner`` with its ``PostgresTrackingRecorder``
   applying the same stored events to an equivalent view (queue row per application, review
   count and score sum, a ledger row per decision and tranche; one transaction per event, as
   its recorder is built). Events per second over the whole log, medians of ``--rounds``.
2. Ours alone on ``--events`` events (the issue's 1,000,000), ``--large-rounds`` times, for the
   absolute rate.
3. Live lag: submissions at ``--rate`` per second for ``--seconds`` while every projection runs
   in the same process (as ``grants serve`` does); the lag of one submission is from its
   command's acknowledgement to its row in the review queue (polled every 2 ms). p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from psycopg.sql import SQL

from bench.usecases import EsApplication, es_env
from domain.applications import GrantApplication
from domain.envelopes import SupportEnvelope
from domain.identifiers import ice_with_check
from domain.reference import PROVINCES, SECTORS
from projections import ledger, registry, review_queue
from projections.rebuild import rebuild
from service import applications, db, programme
from service.repository import new_mapper
from service.settings import Settings
from service.store import EventStore
from service.testing import scratch_database, server_url
from tests.integration.service import support
from tests.unit.domain.builders import CHAIR, GOOD, OFFICER, POOR, R1, R2, facts, rubric

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    import asyncpg
    from eventsourcing.persistence import StoredEvent, Tracking

if TYPE_CHECKING:
    RunProjections = Callable[..., Awaitable[None]]

T0 = datetime(2025, 1, 6, 9, tzinfo=UTC)
BATCH_EVENTS = 5_000


# --- the log ------------------------------------------------------------------------------


def programme_events(events: int, fund_every: int = 2) -> Iterator[list[StoredEvent]]:
    """Batches of stored events, about ``events`` in all, as the use cases would have written.

    One application in ``fund_every`` is funded, signed and paid a tranche (10 events with the
    envelope's; the others 5)."""
    mapper, grid = new_mapper(), rubric()
    envelope = SupportEnvelope.open(envelope_id=uuid4(), name="Bench", total_centimes=10**15, at=T0)
    batch = [mapper.to_stored_event(e) for e in envelope.collect_events()]
    written = 0
    places = itertools.cycle([p.key for p in PROVINCES])
    sectors = [s.key for s in SECTORS]
    for n in itertools.count(1):
        when = T0 + timedelta(seconds=n)
        province, sector = next(places), sectors[n % len(sectors)]
        app = GrantApplication.submit(application_id=uuid4(), at=when, **facts(
            investor_id=uuid4(), envelope_id=envelope.id, person_id=uuid4(),
            ice=ice_with_check(f"{n:013d}"), province=province, commune=province,
            sector=sector, company_name=f"Entreprise {n}",
        ))  # fmt: skip
        for reviewer in (R1, R2):
            app.assign_reviewer(reviewer, OFFICER, when)
        for reviewer, points in ((R1, GOOD), (R2, GOOD if n % 2 else POOR)):
            app.score(reviewer, grid, points, "ok", when)
        if n % fund_every == 1 % fund_every:
            amount = app.requested_centimes
            app.fund(CHAIR, amount, "bench", when, threshold_hundredths=0)
            envelope.reserve(app.id, amount, when)
            app.sign_agreement(OFFICER, when)
            app.disburse(amount // 2, OFFICER, when)
            envelope.disburse(app.id, amount // 2, when)
        new = [*app.collect_events(), *envelope.collect_events()]
        batch.extend(mapper.to_stored_event(e) for e in new)
        written += len(new)
        if len(batch) >= BATCH_EVENTS or written >= events:
            yield batch
            batch = []
        if written >= events:
            return


#: Events per ``insert_events`` call on eventsourcing's recorder. It sends a batch as one
#: parameter inside a psycopg pipeline; from a few thousand events (a few MB) on, psycopg 3.3
#: stops sending the parameter half way (the backend sits in ClientRead in the middle of the
#: INSERT, the client waits in ``pipeline.sync()``) and the baseline hung for ever. Smaller
#: calls write the same log.
ES_INSERT_EVENTS = 1_000


async def write_log(store: EventStore, es: EsApplication | None, events: int) -> int:
    """Append the programme's events to our store (and to eventsourcing's recorder too)."""
    total = 0
    for batch in programme_events(events):
        await store.insert_events(batch)
        if es is not None:
            for start in range(0, len(batch), ES_INSERT_EVENTS):
                chunk = batch[start : start + ES_INSERT_EVENTS]
                await asyncio.to_thread(es.recorder.insert_events, chunk)
        total += len(batch)
    return total


# --- eventsourcing's runner on an equivalent view ------------------------------------------

VIEW_DDL = """
DROP TABLE IF EXISTS es_queue, es_ledger;
CREATE TABLE es_queue (
    application_id uuid PRIMARY KEY, status text NOT NULL, requested_centimes bigint NOT NULL,
    reviews integer NOT NULL DEFAULT 0, score_sum bigint NOT NULL DEFAULT 0);
CREATE TABLE es_ledger (
    entry serial PRIMARY KEY, application_id uuid NOT NULL, kind text NOT NULL,
    amount_centimes bigint NOT NULL)
"""


class QueueView(PostgresTrackingRecorder):
    """The review queue and the ledger, each change written with its tracking record.

    Its tables are created afresh with the view, as each run is a rebuild from zero."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements.extend(SQL(s) for s in VIEW_DDL.split(";"))

    def write(self, sql: str, params: tuple[Any, ...], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(sql, params)
            self._insert_tracking(curs, tracking)


class QueueProjection(Projection[QueueView]):
    name = "es_queue"
    topics = ()  # every event, as our rebuild reads them all

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        change = self.change(domain_event)
        if change is None:
            self.view.insert_tracking(tracking)
        else:
            self.view.write(*change, tracking)

    @staticmethod
    def change(e: Any) -> tuple[str, tuple[Any, ...]] | None:
        """The view's SQL for an event, or None when the event only advances the tracking."""
        kind, app = type(e).__name__, e.originator_id
        if kind == "Submitted":
            return (
                "INSERT INTO es_queue (application_id, status, requested_centimes) "
                "VALUES (%s, 'submitted', %s)", (app, e.requested_centimes),
            )  # fmt: skip
        if kind == "ReviewerAssigned":
            return "UPDATE es_queue SET status = 'in_review' WHERE application_id = %s", (app,)
        if kind == "Reviewed":
            return (
                "UPDATE es_queue SET reviews = reviews + 1, score_sum = score_sum + %s "
                "WHERE application_id = %s", (sum(e.scores.values()), app),
            )  # fmt: skip
        if kind == "Funded":
            return (
                "WITH s AS (UPDATE es_queue SET status = 'funded' WHERE application_id = %s) "
                "INSERT INTO es_ledger (application_id, kind, amount_centimes) "
                "VALUES (%s, 'funded', %s)", (app, app, e.amount_centimes),
            )  # fmt: skip
        if kind == "TrancheDisbursed" and hasattr(e, "by"):
            return (
                "INSERT INTO es_ledger (application_id, kind, amount_centimes) "
                "VALUES (%s, 'tranche', %s)", (app, e.amount_centimes),
            )  # fmt: skip
        return None


def es_rebuild(env: dict[str, str], total: int) -> float:
    """Run eventsourcing's runner from the start of its log to ``total``; events per second."""
    name = f"es_queue_{uuid4().hex[:8]}"  # a fresh tracking table: a rebuild from zero
    projection = type("QueueProjectionRun", (QueueProjection,), {"name": name})
    started = time.perf_counter()
    with ProjectionRunner(
        application_class=EsApplication, projection_class=projection, view_class=QueueView,
        env={**env, f"{name.upper()}_TRACKING_TABLE_NAME": f"{name}_tracking"},
    ) as runner:  # fmt: skip
        runner.wait(runner.app.recorder.max_notification_id(), timeout=3600)
    return total / (time.perf_counter() - started)


# --- ours -----------------------------------------------------------------------------------


async def ours_rebuild(pool: asyncpg.Pool, store: EventStore, total: int) -> dict[str, float]:
    rates = {}
    for projection in (review_queue.PROJECTION, ledger.PROJECTION):
        started = time.perf_counter()
        await rebuild(pool, store, projection)
        rates[projection.name] = total / (time.perf_counter() - started)
    return rates


class SubmissionsFailedError(RuntimeError):
    """Raised when submissions failed during the live run: their lag would be missing."""

    def __init__(self, failed: int, sent: int, first: BaseException | None) -> None:
        super().__init__(f"{failed} of {sent} submissions failed; first: {first!r}")


async def live_lag(
    pool: asyncpg.Pool,
    store: EventStore,
    rate: float,
    seconds: float,
    run_projections: RunProjections = registry.run_all,
    *,
    watcher_on_pool: bool = False,
) -> tuple[list[float], float]:
    """Lags in ms of submissions made at ``rate`` per second; and the rate achieved.

    ``run_projections`` runs every projection until its stop event is set (``bench.live_designs``
    passes other designs of it); ``watcher_on_pool``: the watcher asks the pool each time, as
    it did before (to measure what that added), instead of holding a connection."""
    envelope = await programme.open_envelope(store)
    stop, done = asyncio.Event(), asyncio.Event()
    runners = asyncio.create_task(run_projections(pool, store, stop_event=stop))
    acked: dict[UUID, float] = {}
    lags: list[float] = []

    async def submit() -> None:
        app_id = await applications.submit(
            store, investor_id=uuid4(), envelope_id=envelope, applicant=support.applicant(),
            contact=support.CONTACT, project=support.project(),
        )  # fmt: skip
        acked[app_id] = time.perf_counter()

    async def watch(conn: asyncpg.Connection | asyncpg.Pool) -> None:
        while not (done.is_set() and not acked):
            if acked:
                rows = await conn.fetch(
                    "SELECT application_id FROM review_files WHERE application_id = ANY($1)",
                    list(acked),
                )
                seen = time.perf_counter()
                for row in rows:
                    lags.append((seen - acked.pop(row["application_id"])) * 1000)
            await asyncio.sleep(0.002)

    # The watcher holds a connection of its own: asking the pool every 2 ms, its question waited
    # in the pool's queue behind the submissions, and that wait (hundreds of ms once the
    # submissions queue) was counted as lag although the row was already there.
    async with contextlib.AsyncExitStack() as watching:
        observer = pool if watcher_on_pool else await watching.enter_async_context(pool.acquire())
        watcher = asyncio.create_task(watch(observer))
        try:
            achieved = await _submit_at(rate, seconds, submit)
            done.set()
            await asyncio.wait_for(watcher, 30)
        finally:  # a failed run must not leave the runners on a pool that is being closed
            watcher.cancel()
            stop.set()
            await runners
    return lags, achieved


async def _submit_at(rate: float, seconds: float, submit: Callable[[], Awaitable[None]]) -> float:
    """Start ``submit()`` ``rate`` times a second for ``seconds``; the rate achieved."""
    await asyncio.sleep(1)  # the runners catch up with the envelope first
    started, sent, pending = time.perf_counter(), 0, set()
    failed: list[asyncio.Task[None]] = []
    while (elapsed := time.perf_counter() - started) < seconds:
        while sent < elapsed * rate:
            pending.add(asyncio.create_task(submit()))
            sent += 1
        failed.extend(t for t in pending if t.done() and t.exception() is not None)
        pending = {t for t in pending if not t.done()}
        await asyncio.sleep(0.001)
    results = await asyncio.gather(*pending, return_exceptions=True)
    errors = [t.exception() for t in failed] + [r for r in results if isinstance(r, Exception)]
    if errors:  # a submission that failed has no lag: it must not pass unnoticed
        raise SubmissionsFailedError(len(errors), sent, errors[0])
    return sent / (time.perf_counter() - started)


# --- the run --------------------------------------------------------------------------------


@dataclass
class Results:
    baseline_events: int
    events: int
    ours_small: dict[str, list[float]]
    es_small: list[float]
    ours_large: dict[str, list[float]]
    lags: list[float]
    rate: float
    achieved: float


async def bench(admin: str, args: argparse.Namespace) -> Results:
    settings = Settings(pool_min_size=2, pool_max_size=16, secret_key="x" * 32)
    results = Results(args.baseline_events, 0, {}, [], {}, [], args.rate, 0.0)
    if not args.live_only:
        await rebuilds(admin, args, settings, results)
    async with scratch_database(admin, "bench") as live_url:
        pool, store = await _open(settings, live_url)
        try:
            results.lags, results.achieved = await live_lag(pool, store, args.rate, args.seconds)
        finally:
            await _close(pool, store)
    return results


async def rebuilds(
    admin: str, args: argparse.Namespace, settings: Settings, results: Results
) -> None:
    """Parts 1 and 2: ours and eventsourcing's runner side by side, then ours on the large log."""
    async with (
        scratch_database(admin, "bench") as small_url,
        scratch_database(admin, "bench") as es_url,
    ):
        pool, store = await _open(settings, small_url)
        es = EsApplication(env=es_env(es_url, 4))
        try:
            total = await write_log(store, es, args.baseline_events)
            results.baseline_events = total
            for _ in range(args.rounds):
                for name, rate in (await ours_rebuild(pool, store, total)).items():
                    results.ours_small.setdefault(name, []).append(rate)
                results.es_small.append(
                    await asyncio.to_thread(es_rebuild, es_env(es_url, 4), total)
                )
        finally:
            es.close()
            await _close(pool, store)
    async with scratch_database(admin, "bench") as large_url:
        pool, store = await _open(settings, large_url)
        try:
            results.events = await write_log(store, None, args.events)
            for _ in range(args.large_rounds):
                for name, rate in (await ours_rebuild(pool, store, results.events)).items():
                    results.ours_large.setdefault(name, []).append(rate)
        finally:
            await _close(pool, store)


async def _open(settings: Settings, url: str) -> tuple[asyncpg.Pool, EventStore]:
    pool = await db.create_pool(settings, url)
    async with pool.acquire() as conn:
        await db.migrate(conn)
    await registry.ensure_all(pool)
    return pool, EventStore(pool)


async def _close(pool: asyncpg.Pool, store: EventStore) -> None:
    await store.close()
    await pool.close()


def table(r: Results, rounds: int) -> Iterator[str]:
    if r.es_small:
        yield from rebuild_table(r, rounds)
    if r.lags:
        cuts = statistics.quantiles(r.lags, n=100)
        yield ""
        yield "| live lag | commands/s asked | achieved | submissions | p50 ms | p99 ms |"
        yield "| --- | ---: | ---: | ---: | ---: | ---: |"
        yield (
            f"| review queue | {r.rate:,.0f} | {r.achieved:,.0f} | {len(r.lags):,} "
            f"| {cuts[49]:.1f} | {cuts[98]:.1f} |"
        )


def rebuild_table(r: Results, rounds: int) -> Iterator[str]:
    es = statistics.median(r.es_small)
    yield f"rounds={rounds}; medians; events/s over the whole log"
    yield f"| rebuild | {r.baseline_events:,} events: ours | eventsourcing ProjectionRunner | ratio | {r.events:,} events: ours |"
    yield "| --- | ---: | ---: | ---: | ---: |"
    for name, rates in r.ours_small.items():
        ours = statistics.median(rates)
        large = statistics.median(r.ours_large[name])
        yield f"| {name} | {ours:,.0f} | {es:,.0f} | {ours / es:.1f}x | {large:,.0f} |"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL admin URL (default: the embedded test server)")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--baseline-events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--large-rounds", type=int, default=1, help="rounds on --events")
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--live-only", action="store_true", help="only part 3, the live lag")
    args = parser.parse_args(argv)
    admin = server_url(args.url)  # may start the embedded server: outside the event loop
    results = asyncio.run(bench(admin, args))
    for line in table(results, args.rounds):
        print(line)


if __name__ == "__main__":
    main()
