"""The public ledger: one hash-chained entry per funding decision, agreement, tranche, release
and cancellation, with the envelope's balance after it.

Only organisations are named: a sole trader appears as ``org_kind = 'sole_trader'`` with no name
(the province and sector stay), so no natural person's name reaches the public (law 09-08).
The balance is what the envelope still has free: total - reserved - disbursed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from projections import ledger_page
from projections.chain import GENESIS, verify_chain
from projections.projection import Projection
from projections.transparency import check_rebuilt, rebuild_refused

if TYPE_CHECKING:
    from collections.abc import Mapping
    from uuid import UUID

    import asyncpg


DDL = """
CREATE TABLE ledger_parties (
    application_id uuid PRIMARY KEY,
    envelope_id    uuid NOT NULL,
    org_kind       text NOT NULL,
    org_name       text,
    sector         text NOT NULL,
    province       text NOT NULL,
    funded_centimes bigint NOT NULL DEFAULT 0
);
CREATE TABLE ledger_balances (
    envelope_id      uuid PRIMARY KEY,
    balance_centimes bigint NOT NULL
);
CREATE TABLE ledger_entries (
    seq              bigint PRIMARY KEY,
    kind             text        NOT NULL,
    application_id   uuid        NOT NULL,
    envelope_id      uuid        NOT NULL,
    org_kind         text        NOT NULL,
    org_name         text,
    sector           text        NOT NULL,
    province         text        NOT NULL,
    amount_centimes  bigint      NOT NULL,
    balance_centimes bigint      NOT NULL,
    occurred_at      timestamptz NOT NULL,
    prev_hash        text        NOT NULL,
    entry_hash       text        NOT NULL UNIQUE
);
"""
SELECT_HEAD = "SELECT seq, entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1"
COLUMNS = (
    "seq, kind, application_id, envelope_id, org_kind, org_name, sector, province, "
    "amount_centimes, balance_centimes, occurred_at, prev_hash, entry_hash"
)
SELECT_ENTRIES = f"""
SELECT {COLUMNS} FROM ledger_entries
WHERE ($1::uuid IS NULL OR envelope_id = $1) AND seq > $2
ORDER BY seq LIMIT $3
"""


async def entries(
    pool: asyncpg.Pool, *, envelope_id: UUID | None = None, after_seq: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    """Ledger entries in chain order, a page at a time (``after_seq`` is the last seq seen)."""
    rows = await pool.fetch(SELECT_ENTRIES, envelope_id, after_seq, limit)
    return [dict(r) for r in rows]


async def head(pool: asyncpg.Pool) -> dict[str, Any]:
    """The chain's head: the last entry's seq and hash (seq 0 and the genesis hash if empty)."""
    row = await pool.fetchrow(SELECT_HEAD)
    return (
        {"seq": row["seq"], "entry_hash": row["entry_hash"]}
        if row
        else {
            "seq": 0,
            "entry_hash": GENESIS,
        }
    )


async def verify(pool: asyncpg.Pool) -> Mapping[str, Any] | None:
    """Recompute the whole chain from the table; the first bad entry, or None."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        rows = conn.cursor(f"SELECT {COLUMNS} FROM ledger_entries ORDER BY seq", prefetch=1000)
        return verify_chain([r async for r in rows])


PROJECTION = Projection(
    name="ledger",
    version=1,
    tables=("ledger_parties", "ledger_balances", "ledger_entries"),
    ddl=DDL,
    critical=True,  # money and the public ledger: stop on an unknown event, never skip it
    # what was published stays: a rebuild that would not extend it is refused
    guard=check_rebuilt,
    refused=rebuild_refused,
    # a page at a time, a few statements per page (projections.ledger_page)
    page_topics=ledger_page.TOPICS,
    apply_page=ledger_page.apply_page,
    resident=ledger_page.Resident,
)
