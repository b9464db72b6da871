"""The public ledger as the transparency site reads it: filtered, newest first, a page at a time.

Pages are keyset-paginated on ``seq`` (``before``/``after`` an entry), so a link to a page keeps
showing the same entries however many are appended later. Filters: sector, province, year (of
the entry, UTC) and a case-insensitive search in the organisation's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from projections.ledger import COLUMNS

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

WHERE = """
($1::text IS NULL OR sector = $1) AND ($2::text IS NULL OR province = $2)
AND ($3::int IS NULL OR extract(year FROM occurred_at AT TIME ZONE 'UTC') = $3)
AND ($4::text IS NULL OR org_name ILIKE '%' || $4 || '%')
"""
OLDER = f"""
SELECT {COLUMNS} FROM ledger_entries
WHERE {WHERE} AND ($5::bigint IS NULL OR seq < $5) ORDER BY seq DESC LIMIT $6
"""
NEWER = f"""
SELECT * FROM (SELECT {COLUMNS} FROM ledger_entries
WHERE {WHERE} AND seq > $5 ORDER BY seq LIMIT $6) AS page ORDER BY seq DESC
"""
EXISTS = f"SELECT EXISTS (SELECT 1 FROM ledger_entries WHERE {WHERE} AND seq {{op}} $5)"
COUNT = f"SELECT count(*) FROM ledger_entries WHERE {WHERE}"
YEARS = """
SELECT DISTINCT extract(year FROM occurred_at AT TIME ZONE 'UTC')::int AS year
FROM ledger_entries ORDER BY 1 DESC
"""
HISTORY = f"SELECT {COLUMNS} FROM ledger_entries WHERE application_id = $1 ORDER BY seq"
ESCAPE = str.maketrans({"%": r"\%", "_": r"\_", "\\": "\\\\"})


@dataclass(frozen=True, kw_only=True)
class Filters:
    """What the visitor narrowed the ledger to (None: no filter)."""

    sector: str | None = None
    province: str | None = None
    year: int | None = None
    search: str | None = None

    def args(self) -> tuple[Any, ...]:
        """The SQL parameters $1..$4 (the search with LIKE's wildcards escaped)."""
        search = self.search.translate(ESCAPE) if self.search else None
        return (self.sector, self.province, self.year, search)


@dataclass(frozen=True, kw_only=True)
class Page:
    """Entries newest first, with the keys of the neighbouring pages (None: no such page)."""

    entries: list[dict[str, Any]]
    total: int
    older_than: int | None
    newer_than: int | None


async def page(
    pool: asyncpg.Pool,
    filters: Filters,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = 25,
) -> Page:
    """One page of entries: below ``before``, above ``after``, or the newest."""
    args = filters.args()
    async with pool.acquire() as conn:
        if after is not None:
            rows = await conn.fetch(NEWER, *args, after, size)
        else:
            rows = await conn.fetch(OLDER, *args, before, size)
        entries = [dict(r) for r in rows]
        total = await conn.fetchval(COUNT, *args)
        older = newer = None
        if entries:
            last, first = entries[-1]["seq"], entries[0]["seq"]
            if await conn.fetchval(EXISTS.format(op="<"), *args, last):
                older = last
            if await conn.fetchval(EXISTS.format(op=">"), *args, first):
                newer = first
    return Page(entries=entries, total=total, older_than=older, newer_than=newer)


async def years(pool: asyncpg.Pool) -> list[int]:
    """The years that have entries, newest first (for the year filter)."""
    return [r["year"] for r in await pool.fetch(YEARS)]


async def history(pool: asyncpg.Pool, application_id: UUID) -> list[dict[str, Any]]:
    """One grant's entries in chain order (empty when the file never reached the ledger)."""
    return [dict(r) for r in await pool.fetch(HISTORY, application_id)]
