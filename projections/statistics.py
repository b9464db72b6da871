"""Programme statistics: funded amounts and counts by sector, province and month; applications
received, success rate, and time from submission to decision.

One denormalised row per application; the aggregates are plain SQL at query time. A file is
decided when funded, rejected or screened out; it counts as funded (at its decided amount) until
it is cancelled. Months are calendar months of the funding decision, in UTC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from projections.projection import Projection

if TYPE_CHECKING:
    import asyncpg

    from service.store import LogNotification

DDL = """
CREATE TABLE statistics_applications (
    application_id   uuid PRIMARY KEY,
    sector           text        NOT NULL,
    province         text        NOT NULL,
    submitted_at     timestamptz NOT NULL,
    decided_at       timestamptz,
    outcome          text,
    funded_centimes  bigint      NOT NULL DEFAULT 0,
    cancelled        boolean     NOT NULL DEFAULT false
);
"""
SUBMIT = """
INSERT INTO statistics_applications (application_id, sector, province, submitted_at)
VALUES ($1, $2, $3, $4)
"""
DECIDE = """
UPDATE statistics_applications SET decided_at = $2, outcome = $3, funded_centimes = $4
WHERE application_id = $1
"""
CANCEL = "UPDATE statistics_applications SET cancelled = true WHERE application_id = $1"
FUNDED = "outcome = 'funded' AND NOT cancelled"
BY = """
SELECT {key} AS key, count(*) AS funded_count, sum(funded_centimes)::bigint AS funded_centimes
FROM statistics_applications WHERE {funded} GROUP BY 1 ORDER BY 1
"""
MONTH = "to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM')"
SUMMARY = f"""
SELECT count(*) AS received,
       count(decided_at) AS decided,
       count(*) FILTER (WHERE {FUNDED}) AS funded,
       coalesce(sum(funded_centimes) FILTER (WHERE {FUNDED}), 0)::bigint AS funded_centimes,
       avg(extract(epoch FROM decided_at - submitted_at)) AS mean_seconds,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - submitted_at))
           AS median_seconds
FROM statistics_applications
"""


async def funded_by(pool: asyncpg.Pool, dimension: str) -> list[dict[str, Any]]:
    """Funded count and amount per ``sector``, ``province`` or ``month`` (``YYYY-MM``)."""
    key = {"sector": "sector", "province": "province", "month": MONTH}[dimension]
    return [dict(r) for r in await pool.fetch(BY.format(key=key, funded=FUNDED))]


async def summary(pool: asyncpg.Pool) -> dict[str, Any]:
    """Applications received and decided, funded count and amount, success rate (funded over
    decided, None before any decision), mean and median days from submission to decision."""
    row = dict(await pool.fetchrow(SUMMARY))
    decided = row["decided"]
    return {
        "received": row["received"],
        "decided": decided,
        "funded": row["funded"],
        "funded_centimes": row["funded_centimes"],
        "success_rate": row["funded"] / decided if decided else None,
        "mean_days": _days(row["mean_seconds"]),
        "median_days": _days(row["median_seconds"]),
    }


def _days(seconds: Any) -> float | None:
    return None if seconds is None else round(float(seconds) / 86_400, 2)


async def _submitted(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(SUBMIT, e.originator_id, e.sector, e.province, e.timestamp)


def _decided(outcome: str) -> Any:
    async def handle(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
        amount = e.amount_centimes if outcome == "funded" else 0
        await conn.execute(DECIDE, e.originator_id, e.timestamp, outcome, amount)

    return handle


async def _cancelled(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(CANCEL, e.originator_id)


A = "grants.application:"
PROJECTION = Projection(
    name="statistics",
    version=1,
    tables=("statistics_applications",),
    ddl=DDL,
    handlers={
        A + "Submitted": _submitted,
        A + "Funded": _decided("funded"),
        A + "Rejected": _decided("rejected"),
        A + "ScreenedOut": _decided("screened_out"),
        A + "Cancelled": _cancelled,
    },
)
