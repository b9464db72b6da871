"""Envelope status: total, reserved, disbursed and remaining, per envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from projections import page_sql
from projections.projection import Projection

if TYPE_CHECKING:
    from collections.abc import Sequence

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


E: Final = "grants.envelope:"
#: Each movement's change to (reserved, disbursed), in sign per centime of the event's amount.
MOVES: Final = {"FundsReserved": (1, 0), "FundsReleased": (-1, 0), "TrancheDisbursed": (-1, 1)}
COLUMNS: Final = {
    "envelope_id": "uuid", "name": "text", "currency": "text", "total_centimes": "bigint",
    "reserved_centimes": "bigint", "disbursed_centimes": "bigint",
    "opened_at": "timestamptz", "closed_at": "timestamptz",
}  # fmt: skip
LOAD: Final = (
    f"SELECT {', '.join(COLUMNS)} FROM envelope_status WHERE envelope_id = ANY($1::uuid[])"
)
UPSERT: Final = page_sql.insert("envelope_status", COLUMNS, "envelope_id", tuple(COLUMNS)[1:])


def _fold(rows: dict[UUID, dict[str, Any]], kind: str, e: Any) -> bool:
    """One event's effect on the rows; False when its envelope is unknown (nothing changes)."""
    envelope = e.originator_id
    if kind == "Opened":
        rows[envelope] = {
            "envelope_id": envelope, "name": e.name, "currency": e.currency,
            "total_centimes": e.total_centimes, "reserved_centimes": 0,
            "disbursed_centimes": 0, "opened_at": e.timestamp, "closed_at": None,
        }  # fmt: skip
        return True
    row = rows.get(envelope)
    if row is None:  # as an UPDATE of a missing row
        return False
    if kind == "Closed":
        row["closed_at"] = e.timestamp
    else:
        reserved, disbursed = MOVES[kind]
        row["reserved_centimes"] += reserved * e.amount_centimes
        row["disbursed_centimes"] += disbursed * e.amount_centimes
    return True


async def _apply_page(
    conn: asyncpg.Connection, events: Sequence[tuple[Any, LogNotification]], *, settle: bool
) -> None:
    """One read of the page's envelopes, their movements folded in order, one upsert."""
    ids = list({e.originator_id for e, _ in events})
    rows = {r["envelope_id"]: dict(r) for r in await conn.fetch(LOAD, ids)}
    touched = {e.originator_id for e, n in events if _fold(rows, n.topic.rpartition(":")[2], e)}
    if touched:
        await conn.execute(UPSERT, page_sql.rows_json([rows[i] for i in sorted(touched)]))


PROJECTION = Projection(
    name="envelopes",
    version=1,
    tables=("envelope_status",),
    ddl=DDL,
    critical=True,  # money and the public ledger: stop on an unknown event, never skip it
    # a page at a time: one read, one write (statements above)
    page_topics=frozenset({E + "Opened", E + "Closed", *(E + k for k in MOVES)}),
    apply_page=_apply_page,
)
