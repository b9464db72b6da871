"""Cursor reads stay bounded when PostgreSQL plans them once for all parameters.

asyncpg prepares every statement; after five runs PostgreSQL may keep one generic plan for all
parameter values. A bound written ``$2 IS NULL OR version > $2`` cannot bound an index scan in
that plan: it read every earlier event of the aggregate and filtered them out (loading the
envelope cost 2 ms at 20,000 events, inside every funding decision's lock), and a cursor's
page read every newer row. Each statement here runs under ``force_generic_plan`` at a cursor
deep in 2,000 rows and must not read the rows it skips.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from projections import public_ledger, registry, transparency
from service import store as event_store

if TYPE_CHECKING:
    import asyncpg

pytestmark = pytest.mark.store

ROWS = 2_000
DEEP = 10
FILL_ENTRIES = """
INSERT INTO ledger_entries (seq, kind, application_id, envelope_id, org_kind, org_name, sector,
    province, amount_centimes, balance_centimes, occurred_at, prev_hash, entry_hash)
SELECT g, 'funding_decision', gen_random_uuid(), gen_random_uuid(), 'company', 'Org ' || g,
       'offshoring', 'errachidia', 100, 100, now(), 'p' || g, 'h' || g
FROM generate_series(1, $1) AS g
"""


async def rows_read(conn: asyncpg.Connection, sql: str, *args: Any) -> tuple[int, int]:
    """Run ``sql`` with its generic plan; return (rows returned, rows read and thrown away)."""
    types = [t.oid for t in (await conn.prepare(sql)).get_parameters()]
    names = [await conn.fetchval("SELECT format_type($1, NULL)", oid) for oid in types]
    await conn.execute("SET plan_cache_mode = force_generic_plan")
    await conn.execute(f"PREPARE generic({', '.join(names)}) AS {sql}")
    try:  # EXECUTE takes no bind parameters: the values go in as literals
        literals = [
            await conn.fetchval(f"SELECT quote_nullable($1::{n}::text) || '::{n}'", arg)
            for n, arg in zip(names, args, strict=True)
        ]
        raw = await conn.fetchval(
            f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE generic({', '.join(literals)})"
        )
    finally:
        await conn.execute("DEALLOCATE generic; RESET plan_cache_mode")
    plan = json.loads(raw)[0]["Plan"]
    return plan["Actual Rows"], sum(_removed(plan))


def _removed(node: dict[str, Any]) -> list[int]:
    own = [node.get("Rows Removed by Filter", 0), node.get("Rows Removed by Index Recheck", 0)]
    return own + [n for child in node.get("Plans", []) for n in _removed(child)]


async def versions(pool: asyncpg.Pool, table: str) -> uuid.UUID:
    """A new aggregate with ROWS versions in ``table`` (events or snapshots)."""
    oid = uuid.uuid4()
    await pool.execute(
        f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
        "SELECT $1, g, 't', '\\x00' FROM generate_series(1, $2) AS g",
        oid, ROWS,
    )  # fmt: skip
    await pool.execute(f"ANALYZE {table}")
    return oid


async def test_an_aggregate_loads_from_its_version_on(pool: asyncpg.Pool) -> None:
    oid = await versions(pool, "events")
    sql = event_store.SELECT_EVENTS.format(order="ASC")
    async with pool.acquire() as conn:
        assert await rows_read(conn, sql, oid, ROWS - DEEP, None, None) == (DEEP, 0)
        assert await rows_read(conn, sql, oid, None, DEEP, None) == (DEEP, 0)


async def test_an_old_snapshot_is_found_without_reading_the_newer(pool: asyncpg.Pool) -> None:
    oid = await versions(pool, "snapshots")
    async with pool.acquire() as conn:
        assert await rows_read(conn, event_store.SELECT_SNAPSHOT, oid, DEEP) == (1, 0)


async def test_a_deep_ledger_page_reads_only_its_rows(pool: asyncpg.Pool) -> None:
    await registry.ensure_all(pool)
    await pool.execute(FILL_ENTRIES, ROWS)
    await pool.execute("ANALYZE ledger_entries")
    filters = public_ledger.Filters().args()
    async with pool.acquire() as conn:
        returned, removed = await rows_read(conn, public_ledger.OLDER, *filters, DEEP + 1, 25)
    assert (returned, removed) == (DEEP, 0)


async def test_the_checkpoint_history_reads_only_its_page(pool: asyncpg.Pool) -> None:
    await pool.execute(
        "INSERT INTO ledger_checkpoints (size, root, note) "
        "SELECT g, sha256(g::text::bytea), 'n' FROM generate_series(1, $1) AS g",
        ROWS,
    )
    async with pool.acquire() as conn:
        assert await rows_read(conn, transparency.HISTORY, DEEP + 1, 25) == (DEEP, 0)
