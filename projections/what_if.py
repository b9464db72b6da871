"""The what-if page's read: an envelope's open files, which can be funded now, and each policy's
selection (``projections.selection``). Reads the review queue's tables; records nothing.

A file in review can be funded now when its counted reviews reach the quorum and its raw mean is
at or above the threshold; the others are listed apart with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from projections.scoring import Score, normalised_scores, raw_scores
from projections.selection import POLICIES, OpenFile, Selection, compare

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    import asyncpg

BELOW_QUORUM: Final = "below_quorum"
BELOW_THRESHOLD: Final = "below_threshold"
SCORES: Final = """
SELECT application_id, reviewer_id, weighted_score FROM review_reviewers
WHERE weighted_score IS NOT NULL AND NOT conflicted
"""
IN_REVIEW: Final = """
SELECT application_id, title, province, requested_centimes FROM review_files
WHERE status = 'in_review' AND envelope_id = $1
ORDER BY submitted_at, application_id
"""
ENVELOPES: Final = """
SELECT e.envelope_id, e.remaining_centimes, count(f.application_id) AS in_review
FROM review_envelopes e
LEFT JOIN review_files f ON f.envelope_id = e.envelope_id AND f.status = 'in_review'
GROUP BY e.envelope_id, e.remaining_centimes
ORDER BY count(f.application_id) DESC, e.envelope_id
"""


@dataclass(frozen=True, kw_only=True)
class SetApart:
    """A file in review that no policy may fund yet, and why."""

    application_id: UUID
    title: str
    province: str
    requested_centimes: int
    review_count: int
    raw_score: int | None
    reason: str


@dataclass(frozen=True, kw_only=True)
class WhatIf:
    """One envelope's comparison: what remains, the candidates, the selections."""

    envelope_id: UUID
    envelopes: tuple[UUID, ...]
    remaining_centimes: int
    candidates: tuple[OpenFile, ...]
    set_apart: tuple[SetApart, ...]
    selections: tuple[Selection, ...]


async def what_if(
    pool: asyncpg.Pool,
    *,
    quorum: int,
    threshold_hundredths: int,
    envelope_id: UUID | None = None,
    policies: Sequence[str] = POLICIES,
) -> WhatIf | None:
    """The comparison for ``envelope_id`` (default: the envelope with most files in review);
    None when there is no such envelope."""
    envelopes = {r["envelope_id"]: r["remaining_centimes"] for r in await pool.fetch(ENVELOPES)}
    chosen = envelope_id if envelope_id is not None else next(iter(envelopes), None)
    if chosen is None or chosen not in envelopes:
        return None
    scores = [Score(*r) for r in await pool.fetch(SCORES)]
    raw, normalised = raw_scores(scores), normalised_scores(scores)
    counts: dict[UUID, int] = {}
    for s in scores:
        counts[s.application_id] = counts.get(s.application_id, 0) + 1
    candidates, apart = [], []
    for row in await pool.fetch(IN_REVIEW, chosen):
        app, n = row["application_id"], counts.get(row["application_id"], 0)
        reason = BELOW_QUORUM if n < quorum else None
        if reason is None and raw[app] < threshold_hundredths:
            reason = BELOW_THRESHOLD
        if reason is None:
            candidates.append(OpenFile(**dict(row), raw_score=raw[app],
                                       normalised_score=normalised[app]))  # fmt: skip
        else:
            apart.append(SetApart(**dict(row), review_count=n, raw_score=raw.get(app),
                                  reason=reason))  # fmt: skip
    remaining = envelopes[chosen]
    return WhatIf(
        envelope_id=chosen, envelopes=tuple(envelopes), remaining_centimes=remaining,
        candidates=tuple(sorted(candidates, key=lambda f: (-f.raw_score, str(f.application_id)))),
        set_apart=tuple(apart), selections=tuple(compare(candidates, remaining, policies)),
    )  # fmt: skip
