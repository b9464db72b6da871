"""One page of the review queue: an indexed keyset read of stored columns.

Scores, eligibility and the fundable line are stored per file by the projection
(:mod:`projections.review_page`), so a page is one statement that walks the index of the chosen
sort from the cursor and stops after ``limit`` rows, however long the queue grows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from projections.review_queue import QueueEntry
from projections.status import STAGES

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    import asyncpg

#: The keyset expression of each sort (ascending; NULL scores last), matching an index of
#: ``review_queue.DDL``; ties broken by id so that pages never overlap.
KEYS: Final = {
    "score": "coalesce(-raw_score, 1)",
    "normalised": "coalesce(-normalised_score::bigint, 2147483648)",
    "date": "submitted_at",
    "amount": "(-requested_centimes)",
}
# $1 statuses (NULL: any), $2 sector, $3 province, $4 call, $5 reviewer (only their assigned,
# non-conflicted files), $6 one application, $7 the cursor (the last id seen), $8 the limit,
# $9 eligibilities (NULL: any).
PAGE: Final = """
WITH cursor AS (
    SELECT {key} AS k, application_id FROM review_files WHERE application_id = $7
)
SELECT f.application_id, f.envelope_id, f.call_id, f.title, f.company_name, f.sector,
       f.province, f.requested_centimes, f.submitted_at, f.status, f.review_count,
       f.raw_score, f.normalised_score, f.rank, f.cumulative_requested_centimes,
       f.above_line, f.eligibility, f.facts->>'applicant_kind' AS applicant_kind,
       (SELECT quorum FROM review_policy) AS quorum,
       (SELECT threshold_hundredths FROM review_policy) AS threshold
FROM review_files f
WHERE ($1::text[] IS NULL OR f.status = ANY($1))
  AND ($2::text IS NULL OR f.sector = $2)
  AND ($3::text IS NULL OR f.province = $3)
  AND ($4::uuid IS NULL OR f.call_id = $4)
  AND ($5::uuid IS NULL OR EXISTS (
      SELECT 1 FROM review_reviewers r WHERE r.application_id = f.application_id
      AND r.reviewer_id = $5 AND r.assigned AND NOT r.conflicted))
  AND ($6::uuid IS NULL OR f.application_id = $6)
  AND ($9::text[] IS NULL OR f.eligibility = ANY($9))
  AND ($7::uuid IS NULL OR ({key}, f.application_id) > (SELECT k, application_id FROM cursor))
ORDER BY {key}, f.application_id
LIMIT $8
"""
#: Is the cursor in the filtered list? (Same filters, without the keyset and the limit.)
KNOWN: Final = """
SELECT EXISTS (SELECT 1 FROM review_files f
WHERE f.application_id = $7
  AND ($1::text[] IS NULL OR f.status = ANY($1))
  AND ($2::text IS NULL OR f.sector = $2)
  AND ($3::text IS NULL OR f.province = $3)
  AND ($4::uuid IS NULL OR f.call_id = $4)
  AND ($5::uuid IS NULL OR EXISTS (
      SELECT 1 FROM review_reviewers r WHERE r.application_id = f.application_id
      AND r.reviewer_id = $5 AND r.assigned AND NOT r.conflicted))
  AND ($6::uuid IS NULL OR f.application_id = $6)
  AND ($8::text[] IS NULL OR f.eligibility = ANY($8)))
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
    eligibility: Sequence[str] | None = None,
) -> tuple[list[QueueEntry], bool]:
    """Up to ``limit`` files after the file ``after``, and whether more follow.

    ``eligibility`` keeps only the files in review that can be funded now (``fundable``) or
    those kept off the line for a reason (``below_quorum``, ``below_threshold``).
    """
    wanted = list(eligibility) if eligibility is not None else None
    statuses = None
    if stage is not None or status is not None:
        statuses = [s for s, st in STAGES.items() if stage in (None, st) and status in (None, s)]
    filters = (statuses, sector, province, call_id, reviewer_id, application_id)
    async with pool.acquire() as conn:
        if after is not None and not await conn.fetchval(KNOWN, *filters, after, wanted):
            raise UnknownCursorError(after)
        rows = await conn.fetch(PAGE.format(key=KEYS[sort]), *filters, after, limit + 1, wanted)
    entries = [
        QueueEntry(**row, stage=STAGES.get(row["status"], row["status"])) for row in rows[:limit]
    ]
    return entries, len(rows) > limit
