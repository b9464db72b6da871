"""The platform's invariants, recomputed from the event log alone: what must hold after any fault.

- money: per envelope, reserved + disbursed never exceeds the total, and no application's
  reservation goes below zero (folded from the envelope's events, not read from a read model);
- each application is funded at most once (one ``Funded`` event, one ``FundsReserved``);
- every acknowledged command is present: the aggregates and idempotency keys a caller was told
  succeeded exist in the log;
- every projection equals a fresh rebuild: its handlers replayed into a scratch schema, up to
  where the live projection stands, give the same rows (compared with ``EXCEPT ALL`` both ways);
- the public ledger's hash chain verifies (and matches the log, see :mod:`projections.audit`);
- a rebuilt ledger extends what was published (naming the first diverging entry), the published
  leaves hash to every issued checkpoint's root (:mod:`projections.transparency`).

Used at the end of every fault test, and by operators as ``grants check``.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncpg
from eventsourcing.persistence import StoredEvent

from projections import audit, tracking, transparency
from projections.projection import HandlerError, Projection, SwapRefusedError, apply_events
from projections.registry import ALL_PROJECTIONS
from service.repository import new_mapper
from service.store import START, Position

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from uuid import UUID

    from service.store import EventStore

ENVELOPE_EVENTS = """
SELECT originator_id, originator_version, topic, state FROM events
WHERE topic LIKE 'grants.envelope:%' ORDER BY originator_id, originator_version
"""
FUNDED_TWICE = """
SELECT originator_id, count(*) FROM events WHERE topic = 'grants.application:Funded'
GROUP BY originator_id HAVING count(*) > 1
"""
PRESENT_AGGREGATES = "SELECT DISTINCT originator_id FROM events WHERE originator_id = ANY($1)"
PRESENT_KEYS = """
SELECT scope, key FROM idempotency_keys
WHERE (scope, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
"""
DIFF = 'SELECT count(*) FROM (TABLE "{a}"."{t}" EXCEPT ALL TABLE "{b}"."{t}") AS d'


@dataclass
class Report:
    """What was checked and every violation found (empty: all invariants hold)."""

    violations: list[str] = field(default_factory=list)
    envelopes: int = 0
    events: int = 0

    @property
    def ok(self) -> bool:
        """True when every invariant holds."""
        return not self.violations

    def __str__(self) -> str:
        if self.ok:
            return f"all invariants hold ({self.events} events, {self.envelopes} envelopes)"
        return "\n".join(self.violations)


async def check(
    pool: asyncpg.Pool,
    store: EventStore,
    *,
    acknowledged_ids: Iterable[UUID] = (),
    acknowledged_keys: Iterable[tuple[str, str]] = (),
) -> Report:
    """Check every invariant; ``acknowledged_*`` are what callers were told had succeeded."""
    report = Report(events=int(await pool.fetchval("SELECT count(*) FROM events")))
    await _money(pool, report)
    for row in await pool.fetch(FUNDED_TWICE):
        report.violations.append(f"application {row[0]} funded {row[1]} times")
    await _acknowledged(pool, report, list(acknowledged_ids), list(acknowledged_keys))
    for projection in ALL_PROJECTIONS:
        await _equals_rebuild(pool, store, projection, report)
    finding = await audit.audit(pool, store)
    if finding is not None:
        report.violations.append(f"ledger: {finding}")
    report.violations.extend(f"published ledger: {p}" for p in await transparency.verify_log(pool))
    return report


async def _money(pool: asyncpg.Pool, report: Report) -> None:
    mapper = new_mapper()
    totals: dict[UUID, int] = {}
    disbursed: Counter[UUID] = Counter()
    reserved: defaultdict[UUID, Counter[UUID]] = defaultdict(Counter)
    reservations: Counter[tuple[UUID, UUID]] = Counter()
    for row in await pool.fetch(ENVELOPE_EVENTS):
        envelope_id, kind = row[0], row[2].rpartition(":")[2]
        try:
            event: Any = mapper.to_domain_event(StoredEvent(row[0], row[1], row[2], row[3]))
        except Exception as error:
            report.violations.append(
                f"envelope {envelope_id} v{row[1]} ({row[2]}) cannot be read: {error}"
            )
            continue
        if kind == "Opened":
            totals[envelope_id] = event.total_centimes
        elif kind == "FundsReserved":
            reserved[envelope_id][event.application_id] += event.amount_centimes
            reservations[envelope_id, event.application_id] += 1
        elif kind in ("FundsReleased", "TrancheDisbursed"):
            reserved[envelope_id][event.application_id] -= event.amount_centimes
            if kind == "TrancheDisbursed":
                disbursed[envelope_id] += event.amount_centimes
    report.envelopes = len(totals)
    for envelope_id, total in totals.items():
        held = reserved[envelope_id]
        if sum(held.values()) + disbursed[envelope_id] > total:
            report.violations.append(
                f"envelope {envelope_id}: reserved {sum(held.values())} + disbursed "
                f"{disbursed[envelope_id]} exceeds the total {total}"
            )
        report.violations.extend(
            f"envelope {envelope_id}: application {app} reserved {amount} (below zero)"
            for app, amount in held.items()
            if amount < 0
        )
    report.violations.extend(
        f"envelope {env}: application {app} reserved {n} times"
        for (env, app), n in reservations.items()
        if n > 1
    )


async def _acknowledged(
    pool: asyncpg.Pool, report: Report, ids: Sequence[UUID], keys: Sequence[tuple[str, str]]
) -> None:
    present = {row[0] for row in await pool.fetch(PRESENT_AGGREGATES, ids)}
    report.violations.extend(
        f"acknowledged aggregate {i} is missing" for i in ids if i not in present
    )
    rows = await pool.fetch(PRESENT_KEYS, [k[0] for k in keys], [k[1] for k in keys])
    found = {(row[0], row[1]) for row in rows}
    report.violations.extend(
        f"acknowledged command {scope}/{key} is missing"
        for scope, key in keys
        if (scope, key) not in found
    )


async def _equals_rebuild(
    pool: asyncpg.Pool, store: EventStore, projection: Projection, report: Report
) -> None:
    """Replay ``projection`` into a scratch schema up to its live position; compare its tables."""
    if await tracking.version(pool, projection.name) is None:
        return  # never set up: no tables to compare
    until = await tracking.position(pool, projection.name)
    schema = f"check_{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:  # everything in one transaction, rolled back: the scratch schema never persists
            await conn.execute(f'CREATE SCHEMA "{schema}"')
            await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
            await conn.execute(projection.ddl)
            await _replay(conn, store, projection, until)
            if projection.guard is not None:  # the ledger: does a rebuild keep what was published?
                try:
                    await projection.guard(conn)
                except SwapRefusedError as error:
                    report.violations.append(f"projection {projection.name}: {error}")
            for table in projection.tables:
                extra = await conn.fetchval(DIFF.format(a="public", b=schema, t=table))
                missing = await conn.fetchval(DIFF.format(a=schema, b="public", t=table))
                if extra or missing:
                    report.violations.append(
                        f"projection {projection.name}: table {table} differs from a rebuild "
                        f"({extra} rows not in the rebuild, {missing} rebuilt rows missing)"
                    )
        except HandlerError as error:
            report.violations.append(f"projection {projection.name}: rebuild fails: {error}")
        finally:
            await transaction.rollback()


async def _replay(
    conn: asyncpg.Connection, store: EventStore, projection: Projection, until: Position
) -> None:
    mapper, after = new_mapper(), START
    while page := await store.select_notifications(after, 1000, conn=conn):
        page = [n for n in page if n.position <= until]
        if not page:
            return
        await apply_events(conn, projection, page, mapper)
        after = page[-1].position
