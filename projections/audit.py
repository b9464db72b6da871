"""Tamper evidence: check the stored ledger against its own hash chain and against the event log.

The chain alone catches an entry that was altered or reordered; an entry removed from the end,
or a chain rewritten with fresh hashes, is caught by replaying the event log into a scratch
schema up to the position the ledger projection has reached and comparing entry by entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from projections import ledger, tracking
from projections.chain import verify_chain
from projections.projection import apply_events
from service.repository import new_mapper

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import asyncpg

    from service.store import EventStore

ENTRIES = "SELECT seq, entry_hash FROM ledger_entries ORDER BY seq"


@dataclass(frozen=True)
class AuditFinding:
    """The first entry that does not hold, and why."""

    seq: int
    problem: str

    def __str__(self) -> str:
        return f"ledger entry {self.seq}: {self.problem}"


def check_chain(rows: Sequence[Mapping[str, Any]]) -> AuditFinding | None:
    """The first row whose hashes do not chain (rows in seq order), or a gap in the numbering."""
    for expected, row in enumerate(rows, start=1):
        if row["seq"] != expected:
            return AuditFinding(expected, "missing (the numbering jumps)")
    bad = verify_chain(rows)
    return AuditFinding(bad["seq"], "content or order does not match its hash") if bad else None


async def audit(pool: asyncpg.Pool, store: EventStore) -> AuditFinding | None:
    """Verify the stored ledger by its chain, then against a replay of the event log."""
    async with pool.acquire() as conn:
        stored = [
            dict(r)
            for r in await conn.fetch(f"SELECT {ledger.COLUMNS} FROM ledger_entries ORDER BY seq")
        ]
    finding = check_chain(stored)
    if finding is not None:
        return finding
    replayed = await _replay(pool, store)
    for mine, theirs in zip(stored, replayed, strict=False):
        if mine["entry_hash"] != theirs["entry_hash"]:
            return AuditFinding(mine["seq"], "differs from the entry the event log gives")
    if len(stored) < len(replayed):
        return AuditFinding(len(stored) + 1, "missing: the event log has it")
    if len(stored) > len(replayed):
        return AuditFinding(len(replayed) + 1, "not backed by any event in the log")
    return None


async def _replay(pool: asyncpg.Pool, store: EventStore) -> list[Mapping[str, Any]]:
    """The ledger rows the log gives, up to where the live projection stands."""
    until = await tracking.position(pool, ledger.PROJECTION.name)
    schema = f"audit_{uuid.uuid4().hex[:12]}"
    mapper, after = new_mapper(), None
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
        await conn.execute(ledger.PROJECTION.ddl)
        while True:
            page = await store.select_notifications(after, 1000, conn=conn)
            page = [n for n in page if n.position <= until]
            if not page:
                break
            await apply_events(conn, ledger.PROJECTION, page, mapper)
            after = page[-1].position
        rows: list[Mapping[str, Any]] = await conn.fetch(ENTRIES)
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return rows
