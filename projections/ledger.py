"""The public ledger: one hash-chained entry per funding decision, agreement, tranche, release
and cancellation, with the envelope's balance after it.

Only organisations are named: a sole trader appears as ``org_kind = 'sole_trader'`` with no name
(the province and sector stay), so no natural person's name reaches the public (law 09-08).
The balance is what the envelope still has free: total - reserved - disbursed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.reference import SOLE_TRADER
from projections.chain import GENESIS, content_of, entry_hash, verify_chain
from projections.projection import Projection
from projections.transparency import check_rebuilt, rebuild_refused

if TYPE_CHECKING:
    from collections.abc import Mapping
    from uuid import UUID

    import asyncpg

    from service.store import LogNotification

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
INSERT_PARTY = """
INSERT INTO ledger_parties (application_id, envelope_id, org_kind, org_name, sector, province)
VALUES ($1, $2, $3, $4, $5, $6)
"""
SET_FUNDED = "UPDATE ledger_parties SET funded_centimes = $2 WHERE application_id = $1"
OPEN_BALANCE = "INSERT INTO ledger_balances (envelope_id, balance_centimes) VALUES ($1, $2)"
MOVE_BALANCE = """
UPDATE ledger_balances SET balance_centimes = balance_centimes + $2 WHERE envelope_id = $1
RETURNING balance_centimes
"""
SELECT_PARTY = "SELECT * FROM ledger_parties WHERE application_id = $1"
SELECT_HEAD = "SELECT seq, entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1"
INSERT_ENTRY = """
INSERT INTO ledger_entries (seq, kind, application_id, envelope_id, org_kind, org_name, sector,
    province, amount_centimes, balance_centimes, occurred_at, prev_hash, entry_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
"""
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


async def _append(
    conn: asyncpg.Connection, kind: str, party: Mapping[str, Any], amount: int, e: Any, move: int
) -> None:
    balance = await conn.fetchval(MOVE_BALANCE, party["envelope_id"], move)
    last = await conn.fetchrow(SELECT_HEAD)
    seq, prev = (last["seq"] + 1, last["entry_hash"]) if last else (1, GENESIS)
    row = {
        "seq": seq,
        "kind": kind,
        "application_id": party["application_id"],
        "envelope_id": party["envelope_id"],
        "org_kind": party["org_kind"],
        "org_name": party["org_name"],
        "sector": party["sector"],
        "province": party["province"],
        "amount_centimes": amount,
        "balance_centimes": balance,
        "occurred_at": e.timestamp,
    }
    digest = entry_hash(prev, content_of(row))
    await conn.execute(INSERT_ENTRY, *row.values(), prev, digest)


async def _opened(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(OPEN_BALANCE, e.originator_id, e.total_centimes)


async def _submitted(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    sole = e.applicant_kind == SOLE_TRADER
    name = None if sole else e.company_name
    await conn.execute(
        INSERT_PARTY, e.originator_id, e.envelope_id, e.applicant_kind, name, e.sector, e.province
    )


async def _party(conn: asyncpg.Connection, e: Any) -> asyncpg.Record:
    return await conn.fetchrow(SELECT_PARTY, e.originator_id)


async def _funded(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(SET_FUNDED, e.originator_id, e.amount_centimes)
    party = await _party(conn, e)
    await _append(conn, "funding_decision", party, e.amount_centimes, e, -e.amount_centimes)


async def _agreement(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    party = await _party(conn, e)
    await _append(conn, "agreement", party, party["funded_centimes"], e, 0)


async def _tranche(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    # a tranche moves money from reserved to disbursed: the free balance does not change
    await _append(conn, "tranche", await _party(conn, e), e.amount_centimes, e, 0)


async def _cancelled(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    released = e.released_centimes
    await _append(conn, "cancellation", await _party(conn, e), released, e, released)


async def _completed(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    if e.released_centimes:
        party = await _party(conn, e)
        await _append(conn, "release", party, e.released_centimes, e, e.released_centimes)


PROJECTION = Projection(
    name="ledger",
    version=1,
    tables=("ledger_parties", "ledger_balances", "ledger_entries"),
    ddl=DDL,
    critical=True,  # money and the public ledger: stop on an unknown event, never skip it
    # what was published stays: a rebuild that would not extend it is refused
    guard=check_rebuilt,
    refused=rebuild_refused,
    handlers={
        "grants.envelope:Opened": _opened,
        "grants.application:Submitted": _submitted,
        "grants.application:Funded": _funded,
        "grants.application:AgreementSigned": _agreement,
        "grants.application:TrancheDisbursed": _tranche,
        "grants.application:Cancelled": _cancelled,
        "grants.application:Completed": _completed,
    },
)
