"""Programme statistics: funded amounts and counts by sector, province and month; applications
received, success rate, and time from submission to decision.

One denormalised row per application; the aggregates are plain SQL at query time. A file is
decided when funded, rejected or screened out; it counts as funded (at its decided amount) until
it is cancelled. Months are calendar months of the funding decision, in UTC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from projections import page_sql
from projections.projection import Projection

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

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


OUTCOMES: Final = {"Funded": "funded", "Rejected": "rejected", "ScreenedOut": "screened_out"}
COLUMNS: Final = {
    "application_id": "uuid", "sector": "text", "province": "text",
    "submitted_at": "timestamptz", "decided_at": "timestamptz", "outcome": "text",
    "funded_centimes": "bigint", "cancelled": "boolean",
}  # fmt: skip
LOAD: Final = (
    f"SELECT {', '.join(COLUMNS)} FROM statistics_applications "
    "WHERE application_id = ANY($1::uuid[])"
)
UPSERT: Final = page_sql.insert(
    "statistics_applications", COLUMNS, "application_id", tuple(COLUMNS)[1:]
)


def _fold(rows: dict[UUID, dict[str, Any]], kind: str, e: Any) -> bool:
    """One event's effect on the rows; False when it changes nothing (its file is unknown)."""
    app = e.originator_id
    if kind == "Submitted":
        rows[app] = {
            "application_id": app, "sector": e.sector, "province": e.province,
            "submitted_at": e.timestamp, "decided_at": None, "outcome": None,
            "funded_centimes": 0, "cancelled": False,
        }  # fmt: skip
        return True
    row = rows.get(app)
    if row is None:  # as an UPDATE of a missing row
        return False
    if kind == "Cancelled":
        row["cancelled"] = True
    else:
        outcome = OUTCOMES[kind]
        amount = e.amount_centimes if outcome == "funded" else 0
        row |= {"decided_at": e.timestamp, "outcome": outcome, "funded_centimes": amount}
    return True


async def _apply_page(
    conn: asyncpg.Connection, events: Sequence[tuple[Any, LogNotification]], *, settle: bool
) -> None:
    """One read of the page's files, their changes folded in order, one upsert."""
    apps = list({e.originator_id for e, _ in events})
    rows = {r["application_id"]: dict(r) for r in await conn.fetch(LOAD, apps)}
    touched = {e.originator_id for e, n in events if _fold(rows, n.topic.rpartition(":")[2], e)}
    if touched:
        await conn.execute(UPSERT, page_sql.rows_json([rows[a] for a in sorted(touched)]))


A = "grants.application:"
PROJECTION = Projection(
    name="statistics",
    version=1,
    tables=("statistics_applications",),
    ddl=DDL,
    # a page at a time: one read, one write (statements above)
    page_topics=frozenset({A + "Submitted", A + "Cancelled", *(A + k for k in OUTCOMES)}),
    apply_page=_apply_page,
)
