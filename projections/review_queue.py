"""The committee's review queue: files by stage, reviewers' assignments, scores, the fundable line.

Events are applied a page at a time (:mod:`projections.review_page`); each file's review count,
raw mean, reviewer-normalised score, eligibility for funding now, rank and place against the
fundable line are stored with it and kept up to date per page, so reading the queue is a plain
indexed query (:mod:`projections.queue_page`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.applications import DEFAULT_QUORUM
from projections import review_page
from projections.projection import Projection
from projections.review_page import settle_queue
from projections.status import STAGES

if TYPE_CHECKING:
    import datetime as dt
    from uuid import UUID

    import asyncpg


DDL = """
CREATE TABLE review_files (
    application_id     uuid PRIMARY KEY,
    envelope_id        uuid        NOT NULL,
    call_id            uuid,
    title              text        NOT NULL,
    company_name       text        NOT NULL,
    sector             text        NOT NULL,
    province           text        NOT NULL,
    requested_centimes bigint      NOT NULL,
    status             text        NOT NULL,
    before_request     text        NOT NULL DEFAULT 'submitted',
    submitted_at       timestamptz NOT NULL,
    facts              jsonb       NOT NULL DEFAULT '{}',
    funded_centimes    bigint      NOT NULL DEFAULT 0,
    disbursed_centimes bigint      NOT NULL DEFAULT 0,
    -- kept by projections.review_page.SETTLE after each page
    review_count       integer     NOT NULL DEFAULT 0,
    raw_score          integer,
    normalised_score   integer,
    eligibility        text,       -- files in review: fundable, below_quorum, below_threshold
    rank               integer,
    cumulative_requested_centimes bigint,
    above_line         boolean
);

CREATE TABLE review_reviewers (
    application_id uuid    NOT NULL,
    reviewer_id    uuid    NOT NULL,
    assigned       boolean NOT NULL DEFAULT false,
    conflicted     boolean NOT NULL DEFAULT false,
    weighted_score integer,
    revision       integer,
    scores         jsonb,
    comment        text,
    PRIMARY KEY (application_id, reviewer_id)
);
CREATE INDEX review_reviewers_by_reviewer ON review_reviewers (reviewer_id);
CREATE TABLE review_envelopes (
    envelope_id        uuid PRIMARY KEY,
    remaining_centimes bigint NOT NULL
);
"""
FILES = """
SELECT application_id, envelope_id, call_id, title, company_name, sector, province,
       requested_centimes, status, submitted_at, facts->>'applicant_kind' AS applicant_kind,
       review_count, raw_score, normalised_score, eligibility, rank,
       cumulative_requested_centimes, above_line
FROM review_files
"""
POLICY = "SELECT quorum, threshold_hundredths FROM review_policy"
#: One index per sort of the queue, in the keyset order of projections.queue_page.
INDEXES = """
CREATE INDEX review_files_by_score ON review_files ((coalesce(-raw_score, 1)), application_id);
CREATE INDEX review_files_by_normalised
    ON review_files ((coalesce(-normalised_score::bigint, 2147483648)), application_id);
CREATE INDEX review_files_by_date ON review_files (submitted_at, application_id);
CREATE INDEX review_files_by_amount ON review_files ((-requested_centimes), application_id);
"""
SET_POLICY = """
UPDATE review_policy SET quorum = $1, threshold_hundredths = $2
WHERE (quorum, threshold_hundredths) IS DISTINCT FROM ($1, $2)
"""
ASSIGNMENTS = """
SELECT f.application_id, f.title, f.sector, f.province, f.status, f.requested_centimes,
       r.weighted_score IS NOT NULL AS scored
FROM review_reviewers r JOIN review_files f USING (application_id)
WHERE r.reviewer_id = $1 AND r.assigned AND NOT r.conflicted
ORDER BY f.submitted_at, f.application_id
"""
VISIBLE = """
SELECT application_id FROM review_reviewers WHERE reviewer_id = $1 AND assigned AND NOT conflicted
"""
FILE = """
SELECT application_id, envelope_id, call_id, title, company_name, sector, province,
       requested_centimes, status, submitted_at, facts, funded_centimes, disbursed_centimes,
       review_count, raw_score, normalised_score, eligibility, rank,
       cumulative_requested_centimes, above_line,
       (SELECT quorum FROM review_policy) AS quorum,
       (SELECT threshold_hundredths FROM review_policy) AS threshold
FROM review_files WHERE application_id = $1
"""
REVIEWERS = """
SELECT reviewer_id, assigned, conflicted, weighted_score, revision, scores, comment
FROM review_reviewers WHERE application_id = $1 ORDER BY reviewer_id
"""
REMAINING = "SELECT envelope_id, remaining_centimes FROM review_envelopes"
SORTS = {
    "score": lambda e: (e.raw_score is None, -(e.raw_score or 0)),
    "normalised": lambda e: (e.normalised_score is None, -(e.normalised_score or 0)),
    "date": lambda e: e.submitted_at,
    "amount": lambda e: -e.requested_centimes,
}


@dataclass(frozen=True, kw_only=True)
class QueueEntry:
    """A file in the queue with its scores (hundredths) and its place against the line."""

    application_id: UUID
    envelope_id: UUID
    call_id: UUID | None
    title: str
    company_name: str
    sector: str
    province: str
    requested_centimes: int
    submitted_at: dt.datetime
    status: str
    stage: str
    review_count: int
    quorum: int
    raw_score: int | None
    normalised_score: int | None
    rank: int | None
    cumulative_requested_centimes: int | None
    above_line: bool | None
    applicant_kind: str | None = None
    #: In review: ``fundable`` (on the line), ``below_quorum`` or ``below_threshold`` (listed
    #: apart, with this reason); None for a file not in review.
    eligibility: str | None = None
    threshold: int = 0


async def queue(
    pool: asyncpg.Pool,
    *,
    stage: str | None = None,
    status: str | None = None,
    sector: str | None = None,
    province: str | None = None,
    call_id: UUID | None = None,
    reviewer_id: UUID | None = None,
    sort: str = "score",
) -> list[QueueEntry]:
    """Files filtered by stage, status, sector, province, call; sorted by score, normalised,
    date, amount. With ``reviewer_id``, only the files assigned to that reviewer, never one
    they declared a conflict on. Every file at once: pages use :mod:`projections.queue_page`.

    The fundable line is stored per file, drawn over all the files that can be funded now in
    each envelope, whatever the filters, so a filter never moves the line.
    """
    files = [dict(r) for r in await pool.fetch(FILES)]
    quorum, threshold = await policy(pool)
    visible = None if reviewer_id is None else await _visible_to(pool, reviewer_id)
    wanted = {
        "stage": stage, "status": status, "sector": sector, "province": province,
        "call_id": call_id,
    }  # fmt: skip
    entries = []
    for f in files:
        f["stage"] = STAGES.get(f["status"], f["status"])
        if any(v is not None and f[k] != v for k, v in wanted.items()):
            continue
        if visible is not None and f["application_id"] not in visible:
            continue
        entries.append(QueueEntry(**f, quorum=quorum, threshold=threshold))
    return sorted(entries, key=SORTS[sort])


async def policy(db: asyncpg.Pool | asyncpg.Connection) -> tuple[int, int]:
    """The quorum and the score threshold (hundredths) the line is drawn with."""
    row = await db.fetchrow(POLICY)
    return (int(row[0]), int(row[1])) if row else (DEFAULT_QUORUM, 0)


async def set_policy(pool: asyncpg.Pool, quorum: int, threshold_hundredths: int) -> None:
    """Draw the line with these rules from now on (re-settled at once when they changed)."""
    async with pool.acquire() as conn, conn.transaction():
        changed = await conn.execute(SET_POLICY, quorum, threshold_hundredths)
        if changed != "UPDATE 0":
            await settle_queue(conn)


async def _visible_to(pool: asyncpg.Pool, reviewer_id: UUID) -> set[UUID]:
    return {r[0] for r in await pool.fetch(VISIBLE, reviewer_id)}


async def file(
    pool: asyncpg.Pool, application_id: UUID, *, reviewer_id: UUID | None = None
) -> dict[str, Any] | None:
    """One file's company and project facts (no personal data is projected here); with
    ``reviewer_id``, None unless it is assigned to that reviewer without a conflict."""
    if reviewer_id is not None and application_id not in await _visible_to(pool, reviewer_id):
        return None
    row = await pool.fetchrow(FILE, application_id)
    if row is None:
        return None
    return {**dict(row), **json.loads(row["facts"]), "facts": None}


async def reviewers(pool: asyncpg.Pool, application_id: UUID) -> list[dict[str, Any]]:
    """Everyone assigned to or conflicted on the file, with their latest review if any."""
    rows = await pool.fetch(REVIEWERS, application_id)
    return [{**r, "scores": json.loads(r["scores"]) if r["scores"] else None} for r in rows]


async def remaining(pool: asyncpg.Pool) -> dict[UUID, int]:
    """What each envelope has left to reserve (centimes)."""
    return dict(await pool.fetch(REMAINING))


async def assignments(pool: asyncpg.Pool, reviewer_id: UUID) -> list[dict[str, Any]]:
    """A reviewer's files (never one they declared a conflict on); ``to_score`` marks the work
    left: files in review they have not scored yet."""
    rows = await pool.fetch(ASSIGNMENTS, reviewer_id)
    return [{**r, "to_score": r["status"] == "in_review" and not r["scored"]} for r in rows]


PROJECTION = Projection(
    name="review_queue",
    # 2: file facts, amounts funded and paid, review details (the committee pages)
    # 3: set-based pages; scores, eligibility and the fundable line stored per file
    version=3,
    tables=("review_files", "review_reviewers", "review_envelopes"),
    ddl=DDL,
    deferred_ddl=INDEXES,
    page_topics=review_page.TOPICS,
    apply_page=review_page.apply_page,
    resident=review_page.Resident,
    finish=settle_queue,
)
