"""A reviewer's workspace read: their files to score, scored and conflicted (review queue tables).

Files closed before the reviewer scored them (withdrawn, screened out, decided) are no work and
are left out; a conflicted file shows only its title, so the reviewer knows it is set aside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence
    from uuid import UUID

    import asyncpg

MINE: Final = """
SELECT f.application_id, f.title, f.sector, f.province, f.status, f.requested_centimes,
       f.submitted_at, f.company_name, f.facts->>'applicant_kind' AS applicant_kind,
       f.facts->>'legal_form' AS legal_form, r.conflicted, r.weighted_score
FROM review_reviewers r JOIN review_files f USING (application_id)
WHERE r.reviewer_id = $1 AND (r.assigned OR r.conflicted)
ORDER BY f.submitted_at, f.application_id
"""
KINDS: Final = """
SELECT application_id, facts->>'applicant_kind' AS applicant_kind,
       facts->>'legal_form' AS legal_form
FROM review_files WHERE application_id = ANY($1::uuid[])
"""


@dataclass(frozen=True, kw_only=True)
class Assignment:
    """One file on a reviewer's list."""

    application_id: UUID
    title: str
    sector: str
    province: str
    status: str
    requested_centimes: int
    submitted_at: dt.datetime
    company_name: str
    applicant_kind: str | None
    legal_form: str | None
    conflicted: bool
    weighted_score: int | None


@dataclass(frozen=True, kw_only=True)
class Workspace:
    """A reviewer's files in three lists."""

    to_score: tuple[Assignment, ...]
    scored: tuple[Assignment, ...]
    conflicted: tuple[Assignment, ...]

    def holds(self, application_id: UUID) -> bool:
        """Whether the file is on the to-score or scored list (never a conflicted one)."""
        return any(a.application_id == application_id for a in (*self.to_score, *self.scored))


async def workspace(pool: asyncpg.Pool, reviewer_id: UUID) -> Workspace:
    """The reviewer's files: in review and not scored yet, scored, conflicted."""
    rows = [Assignment(**dict(r)) for r in await pool.fetch(MINE, reviewer_id)]
    return Workspace(
        to_score=tuple(
            a for a in rows
            if not a.conflicted and a.weighted_score is None and a.status == "in_review"
        ),
        scored=tuple(a for a in rows if not a.conflicted and a.weighted_score is not None),
        conflicted=tuple(a for a in rows if a.conflicted),
    )  # fmt: skip


async def applicant_kinds(
    pool: asyncpg.Pool, application_ids: Sequence[UUID]
) -> dict[UUID, tuple[str | None, str | None]]:
    """Each file's applicant kind and legal form, for showing the applicant correctly."""
    rows = await pool.fetch(KINDS, list(application_ids))
    return {r["application_id"]: (r["applicant_kind"], r["legal_form"]) for r in rows}
