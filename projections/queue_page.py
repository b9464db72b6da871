"""One page of the review queue, computed in PostgreSQL.

:func:`projections.review_queue.queue` computes scores and the fundable line in Python over
every file, which is clear but takes hundreds of milliseconds at 10,000 files. This runs the same
arithmetic (``projections.scoring``: raw means rounded half up, reviewer-normalised scores, the
line drawn per envelope in rank order) as one SQL statement and returns only the page asked for,
so the committee's queue stays fast however long it grows. ``tests/integration/projections/
test_queue_page.py`` holds it to the Python version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from domain.applications import DEFAULT_QUORUM
from projections.review_queue import QueueEntry
from projections.status import STAGES

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

#: ORDER BY per sort; ties broken by id so that pages never overlap.
ORDER: Final = {
    "score": "raw_score DESC NULLS LAST, application_id",
    "normalised": "normalised_score DESC NULLS LAST, application_id",
    "date": "submitted_at, application_id",
    "amount": "requested_centimes DESC, application_id",
}
# $1 statuses (NULL: any), $2 sector, $3 province, $4 call, $5 reviewer (only their assigned,
# non-conflicted files), $6 one application, $7 the cursor (the last id seen), $8 the limit.
PAGE: Final = """
WITH s AS (
    SELECT application_id, reviewer_id, weighted_score FROM review_reviewers
    WHERE weighted_score IS NOT NULL AND NOT conflicted
), by_reviewer AS (
    SELECT reviewer_id, avg(weighted_score)::float8 AS m,
           CASE WHEN count(*) > 1 THEN stddev_pop(weighted_score)::float8 ELSE 0 END AS sd
    FROM s GROUP BY reviewer_id
), overall AS (
    SELECT avg(weighted_score)::float8 AS m,
           CASE WHEN count(*) > 1 THEN stddev_pop(weighted_score)::float8 ELSE 0 END AS sd
    FROM s
), by_file AS (
    SELECT s.application_id, count(*) AS n, sum(s.weighted_score) AS total,
           avg(CASE WHEN r.sd > 0 THEN (s.weighted_score - r.m) / r.sd ELSE 0 END) AS z
    FROM s JOIN by_reviewer r USING (reviewer_id) GROUP BY s.application_id
), keys AS (  -- narrow rows: only what sorting, filtering and the line need
    SELECT f.application_id, f.envelope_id, f.call_id, f.status, f.sector, f.province,
           f.requested_centimes, f.submitted_at, coalesce(p.n, 0)::int AS review_count,
           ((2 * p.total + p.n) / (2 * p.n))::int AS raw_score,
           round(o.m + p.z * o.sd)::int AS normalised_score
    FROM review_files f LEFT JOIN by_file p USING (application_id) CROSS JOIN overall o
), line AS (
    -- uuid order is the order of their text (Python's tie-break) without a collation sort
    SELECT application_id, row_number() OVER w::int AS rank,
           (sum(requested_centimes) OVER w)::bigint AS cumulative
    FROM keys WHERE status = 'in_review' AND raw_score IS NOT NULL
    WINDOW w AS (PARTITION BY envelope_id
                 ORDER BY raw_score DESC, requested_centimes, application_id)
), ordered AS (
    SELECT application_id, row_number() OVER (ORDER BY {order}) AS position
    FROM keys q
    WHERE ($1::text[] IS NULL OR q.status = ANY($1))
      AND ($2::text IS NULL OR q.sector = $2)
      AND ($3::text IS NULL OR q.province = $3)
      AND ($4::uuid IS NULL OR q.call_id = $4)
      AND ($5::uuid IS NULL OR EXISTS (
          SELECT 1 FROM review_reviewers r WHERE r.application_id = q.application_id
          AND r.reviewer_id = $5 AND r.assigned AND NOT r.conflicted))
      AND ($6::uuid IS NULL OR q.application_id = $6)
), page AS (
    SELECT * FROM ordered
    WHERE position > coalesce((SELECT position FROM ordered WHERE application_id = $7), 0)
    ORDER BY position LIMIT $8
)
SELECT f.application_id, f.envelope_id, f.call_id, f.title, f.company_name, f.sector,
       f.province, f.requested_centimes, f.submitted_at, f.status, k.review_count, k.raw_score,
       k.normalised_score, l.rank, l.cumulative AS cumulative_requested_centimes,
       CASE WHEN l.rank IS NULL THEN NULL
            ELSE l.cumulative <= coalesce(e.remaining_centimes, 0) END AS above_line,
       (SELECT position FROM ordered WHERE application_id = $7) AS cursor_position
FROM page p
JOIN review_files f USING (application_id)
JOIN keys k USING (application_id)
LEFT JOIN line l USING (application_id)
LEFT JOIN review_envelopes e ON e.envelope_id = f.envelope_id
ORDER BY p.position
"""


class UnknownCursorError(LookupError):
    """Raised when the cursor names a file that is not in the filtered queue (any more)."""


async def queue_page(
    pool: asyncpg.Pool,
    *,
    stage: str | None = None,
    status: str | None = None,
    sector: str | None = None,
    province: str | None = None,
    call_id: UUID | None = None,
    reviewer_id: UUID | None = None,
    application_id: UUID | None = None,
    sort: str = "score",
    after: UUID | None = None,
    limit: int = 50,
) -> tuple[list[QueueEntry], bool]:
    """Up to ``limit`` files after the file ``after``, and whether more follow."""
    statuses = None
    if stage is not None or status is not None:
        statuses = [s for s, st in STAGES.items() if stage in (None, st) and status in (None, s)]
    filters = (statuses, sector, province, call_id, reviewer_id)
    rows = await pool.fetch(
        PAGE.format(order=ORDER[sort]), *filters, application_id, after, limit + 1
    )
    if after is not None:
        # The cursor's position comes with every row; an empty page needs a look of its own.
        known = (
            rows[0]["cursor_position"] is not None
            if rows
            else bool(await pool.fetch(PAGE.format(order=ORDER[sort]), *filters, after, None, 1))
        )
        if not known:
            raise UnknownCursorError(after)
    return [_entry(row) for row in rows[:limit]], len(rows) > limit


def _entry(row: asyncpg.Record) -> QueueEntry:
    fields = dict(row)
    del fields["cursor_position"]
    return QueueEntry(
        **fields, stage=STAGES.get(row["status"], row["status"]), quorum=DEFAULT_QUORUM
    )
