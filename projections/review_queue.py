"""The committee's review queue: files by stage, reviewers' assignments, scores, the fundable line.

Scores are computed at query time from each reviewer's latest score (conflicted reviewers'
excluded), because a reviewer-normalised score depends on all of that reviewer's scores.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.applications import DEFAULT_QUORUM
from projections.runner import Projection
from projections.scoring import Candidate, Score, fundable_line, normalised_scores, raw_scores
from projections.status import AMENDED, ASSIGNED, SET_STATUS, STAGES

if TYPE_CHECKING:
    import datetime as dt
    from uuid import UUID

    import asyncpg

    from service.store import LogNotification

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
    submitted_at       timestamptz NOT NULL
);
CREATE TABLE review_reviewers (
    application_id uuid    NOT NULL,
    reviewer_id    uuid    NOT NULL,
    assigned       boolean NOT NULL DEFAULT false,
    conflicted     boolean NOT NULL DEFAULT false,
    weighted_score integer,
    revision       integer,
    PRIMARY KEY (application_id, reviewer_id)
);
CREATE INDEX review_reviewers_by_reviewer ON review_reviewers (reviewer_id);
CREATE TABLE review_envelopes (
    envelope_id        uuid PRIMARY KEY,
    remaining_centimes bigint NOT NULL
);
"""
SUBMIT = """
INSERT INTO review_files (application_id, envelope_id, call_id, title, company_name, sector,
    province, requested_centimes, status, submitted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'submitted', $9)
"""
SET = f"UPDATE review_files SET {SET_STATUS} WHERE application_id = $1"
AMEND = """
UPDATE review_files SET title = coalesce($2, title),
    requested_centimes = coalesce($3, requested_centimes) WHERE application_id = $1
"""
REVIEWER = """
INSERT INTO review_reviewers (application_id, reviewer_id, assigned, conflicted, weighted_score,
    revision) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (application_id, reviewer_id) DO UPDATE SET
    assigned = review_reviewers.assigned OR excluded.assigned,
    conflicted = review_reviewers.conflicted OR excluded.conflicted,
    weighted_score = coalesce(excluded.weighted_score, review_reviewers.weighted_score),
    revision = coalesce(excluded.revision, review_reviewers.revision)
"""
ENVELOPE = """
INSERT INTO review_envelopes (envelope_id, remaining_centimes) VALUES ($1, $2)
ON CONFLICT (envelope_id) DO UPDATE
SET remaining_centimes = review_envelopes.remaining_centimes + excluded.remaining_centimes
"""
FILES = """
SELECT application_id, envelope_id, call_id, title, company_name, sector, province,
       requested_centimes, status, submitted_at FROM review_files
"""
SCORES = """
SELECT application_id, reviewer_id, weighted_score FROM review_reviewers
WHERE weighted_score IS NOT NULL AND NOT conflicted
"""
ASSIGNMENTS = """
SELECT f.application_id, f.title, f.sector, f.province, f.status, f.requested_centimes,
       r.weighted_score IS NOT NULL AS scored
FROM review_reviewers r JOIN review_files f USING (application_id)
WHERE r.reviewer_id = $1 AND r.assigned AND NOT r.conflicted
ORDER BY f.submitted_at, f.application_id
"""
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


async def queue(
    pool: asyncpg.Pool,
    *,
    stage: str | None = None,
    sector: str | None = None,
    province: str | None = None,
    call_id: UUID | None = None,
    sort: str = "score",
) -> list[QueueEntry]:
    """Files filtered by stage, sector, province, call; sorted by score, normalised, date, amount.

    The fundable line ranks the files in review of each envelope by raw score, whatever the
    filters, so a filter never moves the line.
    """
    files = [dict(r) for r in await pool.fetch(FILES)]
    scores = [Score(*r) for r in await pool.fetch(SCORES)]
    raw, normalised = raw_scores(scores), normalised_scores(scores)
    lines = await _lines(pool, files, raw)
    counts: dict[Any, int] = defaultdict(int)
    for s in scores:
        counts[s.application_id] += 1
    wanted = {"stage": stage, "sector": sector, "province": province, "call_id": call_id}
    entries = []
    for f in files:
        f["stage"] = STAGES.get(f["status"], f["status"])
        if any(v is not None and f[k] != v for k, v in wanted.items()):
            continue
        rank, cumulative, above = lines.get(f["application_id"], (None, None, None))
        app = f["application_id"]
        entries.append(
            QueueEntry(
                **f, review_count=counts[app], quorum=DEFAULT_QUORUM, raw_score=raw.get(app),
                normalised_score=normalised.get(app), rank=rank,
                cumulative_requested_centimes=cumulative, above_line=above,
            )
        )  # fmt: skip
    return sorted(entries, key=SORTS[sort])


async def _lines(
    pool: asyncpg.Pool, files: list[dict[str, Any]], raw: dict[UUID, int]
) -> dict[UUID, tuple[int, int, bool]]:
    remaining = dict(
        await pool.fetch("SELECT envelope_id, remaining_centimes FROM review_envelopes")
    )
    by_envelope: dict[UUID, list[Candidate]] = defaultdict(list)
    for f in files:
        app = f["application_id"]
        if f["status"] == "in_review" and app in raw:
            by_envelope[f["envelope_id"]].append(Candidate(app, raw[app], f["requested_centimes"]))
    lines: dict[UUID, tuple[int, int, bool]] = {}
    for envelope_id, candidates in by_envelope.items():
        lines.update(fundable_line(candidates, remaining.get(envelope_id, 0)))
    return lines


async def assignments(pool: asyncpg.Pool, reviewer_id: UUID) -> list[dict[str, Any]]:
    """A reviewer's files (never one they declared a conflict on); ``to_score`` marks the work
    left: files in review they have not scored yet."""
    rows = await pool.fetch(ASSIGNMENTS, reviewer_id)
    return [{**r, "to_score": r["status"] == "in_review" and not r["scored"]} for r in rows]


async def _submitted(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        SUBMIT, e.originator_id, e.envelope_id, e.call_id, e.title, e.company_name, e.sector,
        e.province, e.requested_centimes, e.timestamp,
    )  # fmt: skip


def _to(status: str) -> Any:
    async def handle(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
        await conn.execute(SET, e.originator_id, status)

    return handle


async def _amended(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(SET, e.originator_id, AMENDED)
    changes = e.changes
    await conn.execute(
        AMEND, e.originator_id, changes.get("title"), changes.get("requested_centimes")
    )


async def _assigned(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(SET, e.originator_id, ASSIGNED)
    await conn.execute(REVIEWER, e.originator_id, e.reviewer_id, True, False, None, None)


async def _conflict(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(REVIEWER, e.originator_id, e.reviewer_id, False, True, None, None)


async def _reviewed(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        REVIEWER, e.originator_id, e.reviewer_id, True, False, e.weighted_score, e.revision
    )


def _envelope(sign: int, field: str) -> Any:
    async def handle(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
        await conn.execute(ENVELOPE, e.originator_id, sign * getattr(e, field))

    return handle


A, E = "grants.application:", "grants.envelope:"
PROJECTION = Projection(
    name="review_queue",
    version=1,
    tables=("review_files", "review_reviewers", "review_envelopes"),
    ddl=DDL,
    handlers={
        A + "Submitted": _submitted,
        A + "Amended": _amended,
        A + "Withdrawn": _to("withdrawn"),
        A + "InformationRequested": _to("information_requested"),
        A + "ScreenedOut": _to("screened_out"),
        A + "ReviewerAssigned": _assigned,
        A + "ConflictDeclared": _conflict,
        A + "Reviewed": _reviewed,
        A + "Funded": _to("funded"),
        A + "Rejected": _to("rejected"),
        A + "AgreementSigned": _to("agreement_signed"),
        A + "Cancelled": _to("cancelled"),
        A + "Completed": _to("completed"),
        E + "Opened": _envelope(1, "total_centimes"),
        E + "FundsReserved": _envelope(-1, "amount_centimes"),
        E + "FundsReleased": _envelope(1, "amount_centimes"),
    },
)
