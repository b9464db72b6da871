"""Envelope status: total, reserved, disbursed and remaining, per envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from projections.projection import Projection

if TYPE_CHECKING:
    import asyncpg

    from service.store import LogNotification

DDL = """
CREATE TABLE envelope_status (
    envelope_id         uuid PRIMARY KEY,
    name                text        NOT NULL,
    currency            text        NOT NULL,
    total_centimes      bigint      NOT NULL,
    reserved_centimes   bigint      NOT NULL DEFAULT 0,
    disbursed_centimes  bigint      NOT NULL DEFAULT 0,
    opened_at           timestamptz NOT NULL,
    closed_at           timestamptz
);
"""
OPEN = """
INSERT INTO envelope_status (envelope_id, name, currency, total_centimes, opened_at)
VALUES ($1, $2, $3, $4, $5)
"""
MOVE = """
UPDATE envelope_status
SET reserved_centimes = reserved_centimes + $2, disbursed_centimes = disbursed_centimes + $3
WHERE envelope_id = $1
"""
CLOSE = "UPDATE envelope_status SET closed_at = $2 WHERE envelope_id = $1"
SELECT = """
SELECT envelope_id, name, currency, total_centimes, reserved_centimes, disbursed_centimes,
       total_centimes - reserved_centimes - disbursed_centimes AS remaining_centimes,
       opened_at, closed_at
FROM envelope_status {where} ORDER BY opened_at, envelope_id
"""


@dataclass(frozen=True, kw_only=True)
class EnvelopeStatus:
    """One envelope's money, in centimes."""

    envelope_id: UUID
    name: str
    currency: str
    total_centimes: int
    reserved_centimes: int
    disbursed_centimes: int
    remaining_centimes: int
    opened_at: Any
    closed_at: Any


async def envelopes(pool: asyncpg.Pool) -> list[EnvelopeStatus]:
    """Every envelope, oldest first."""
    rows = await pool.fetch(SELECT.format(where=""))
    return [EnvelopeStatus(**dict(r)) for r in rows]


async def envelope(pool: asyncpg.Pool, envelope_id: UUID) -> EnvelopeStatus | None:
    """One envelope, or None."""
    row = await pool.fetchrow(SELECT.format(where="WHERE envelope_id = $1"), envelope_id)
    return EnvelopeStatus(**dict(row)) if row else None


async def _opened(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(OPEN, e.originator_id, e.name, e.currency, e.total_centimes, e.timestamp)


async def _reserved(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(MOVE, e.originator_id, e.amount_centimes, 0)


async def _released(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(MOVE, e.originator_id, -e.amount_centimes, 0)


async def _disbursed(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(MOVE, e.originator_id, -e.amount_centimes, e.amount_centimes)


async def _closed(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(CLOSE, e.originator_id, e.timestamp)


PROJECTION = Projection(
    name="envelopes",
    version=1,
    tables=("envelope_status",),
    ddl=DDL,
    critical=True,  # money and the public ledger: stop on an unknown event, never skip it
    handlers={
        "grants.envelope:Opened": _opened,
        "grants.envelope:FundsReserved": _reserved,
        "grants.envelope:FundsReleased": _released,
        "grants.envelope:TrancheDisbursed": _disbursed,
        "grants.envelope:Closed": _closed,
    },
)
