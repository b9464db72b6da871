"""The committee's review queue: files by stage, reviewers' assignments, scores, the fundable line.

Scores are computed at query time from each reviewer's latest score (conflicted reviewers'
excluded), because a reviewer-normalised score depends on all of that reviewer's scores.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.applications import DEFAULT_QUORUM
from projections.projection import Projection
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
    submitted_at       timestamptz NOT NULL,
    facts              jsonb       NOT NULL DEFAULT '{}',
    funded_centimes    bigint      NOT NULL DEFAULT 0,
    disbursed_centimes bigint      NOT NULL DEFAULT 0
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
SUBMIT = """
INSERT INTO review_files (application_id, envelope_id, call_id, title, company_name, sector,
    province, requested_centimes, status, submitted_at, facts)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'submitted', $9, $10::jsonb)
"""
SET = f"UPDATE review_files SET {SET_STATUS} WHERE application_id = $1"
AMEND = """
UPDATE review_files SET title = coalesce($2, title),
    requested_centimes = coalesce($3, requested_centimes), facts = facts || $4::jsonb
WHERE application_id = $1
"""
MONEY = """
UPDATE review_files SET funded_centimes = funded_centimes + $2,
    disbursed_centimes = disbursed_centimes + $3 WHERE application_id = $1
"""
REVIEWER = """
INSERT INTO review_reviewers (application_id, reviewer_id, assigned, conflicted, weighted_score,
    revision, scores, comment) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
ON CONFLICT (application_id, reviewer_id) DO UPDATE SET
    assigned = review_reviewers.assigned OR excluded.assigned,
    conflicted = review_reviewers.conflicted OR excluded.conflicted,
    weighted_score = coalesce(excluded.weighted_score, review_reviewers.weighted_score),
    revision = coalesce(excluded.revision, review_reviewers.revision),
    scores = coalesce(excluded.scores, review_reviewers.scores),
    comment = coalesce(excluded.comment, review_reviewers.comment)
"""
ENVELOPE = """
INSERT INTO review_envelopes (envelope_id, remaining_centimes) VALUES ($1, $2)
ON CONFLICT (envelope_id) DO UPDATE
SET remaining_centimes = review_envelopes.remaining_centimes + excluded.remaining_centimes
"""
FILES = """
SELECT application_id, envelope_id, call_id, title, company_name, sector, province,
       requested_centimes, status, submitted_at, facts->>'applicant_kind' AS applicant_kind
FROM review_files
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
VISIBLE = """
SELECT application_id FROM review_reviewers WHERE reviewer_id = $1 AND assigned AND NOT conflicted
"""
FILE = """
SELECT application_id, envelope_id, call_id, title, company_name, sector, province,
       requested_centimes, status, submitted_at, facts, funded_centimes, disbursed_centimes
FROM review_files WHERE application_id = $1
"""
REVIEWERS = """
SELECT reviewer_id, assigned, conflicted, weighted_score, revision, scores, comment
FROM review_reviewers WHERE application_id = $1 ORDER BY reviewer_id
"""
REMAINING = "SELECT envelope_id, remaining_centimes FROM review_envelopes"
FACTS = (
    "applicant_kind", "legal_form", "ice", "rc_court", "rc_number", "summary", "commune",
    "total_investment_centimes", "jobs", "jobs_women", "timeline_months",
)  # fmt: skip
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
    they declared a conflict on.

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
        app = f["application_id"]
        if visible is not None and app not in visible:
            continue
        rank, cumulative, above = lines.get(app, (None, None, None))
        entries.append(
            QueueEntry(
                **f, review_count=counts[app], quorum=DEFAULT_QUORUM, raw_score=raw.get(app),
                normalised_score=normalised.get(app), rank=rank,
                cumulative_requested_centimes=cumulative, above_line=above,
            )
        )  # fmt: skip
    return sorted(entries, key=SORTS[sort])


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


async def _lines(
    pool: asyncpg.Pool, files: list[dict[str, Any]], raw: dict[UUID, int]
) -> dict[UUID, tuple[int, int, bool]]:
    left = await remaining(pool)
    by_envelope: dict[UUID, list[Candidate]] = defaultdict(list)
    for f in files:
        app = f["application_id"]
        if f["status"] == "in_review" and app in raw:
            by_envelope[f["envelope_id"]].append(Candidate(app, raw[app], f["requested_centimes"]))
    lines: dict[UUID, tuple[int, int, bool]] = {}
    for envelope_id, candidates in by_envelope.items():
        lines.update(fundable_line(candidates, left.get(envelope_id, 0)))
    return lines


async def assignments(pool: asyncpg.Pool, reviewer_id: UUID) -> list[dict[str, Any]]:
    """A reviewer's files (never one they declared a conflict on); ``to_score`` marks the work
    left: files in review they have not scored yet."""
    rows = await pool.fetch(ASSIGNMENTS, reviewer_id)
    return [{**r, "to_score": r["status"] == "in_review" and not r["scored"]} for r in rows]


async def _submitted(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        SUBMIT, e.originator_id, e.envelope_id, e.call_id, e.title, e.company_name, e.sector,
        e.province, e.requested_centimes, e.timestamp, _json({k: getattr(e, k) for k in FACTS}),
    )  # fmt: skip


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _to(status: str) -> Any:
    async def handle(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
        await conn.execute(SET, e.originator_id, status)

    return handle


async def _amended(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(SET, e.originator_id, AMENDED)
    changes = e.changes
    facts = {k: v for k, v in changes.items() if k in FACTS}
    await conn.execute(
        AMEND, e.originator_id, changes.get("title"), changes.get("requested_centimes"),
        _json(facts),
    )  # fmt: skip


async def _assigned(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(SET, e.originator_id, ASSIGNED)
    await conn.execute(
        REVIEWER, e.originator_id, e.reviewer_id, True, False, None, None, None, None
    )


async def _conflict(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        REVIEWER, e.originator_id, e.reviewer_id, False, True, None, None, None, None
    )


async def _reviewed(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        REVIEWER, e.originator_id, e.reviewer_id, True, False, e.weighted_score, e.revision,
        _json(dict(e.scores)), e.comment,
    )  # fmt: skip


def _money(status: str | None, funded: str | None, disbursed: str | None) -> Any:
    async def handle(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
        if status is not None:
            await conn.execute(SET, e.originator_id, status)
        paid = getattr(e, disbursed) if disbursed else 0
        await conn.execute(MONEY, e.originator_id, getattr(e, funded) if funded else 0, paid)

    return handle


def _envelope(sign: int, field: str) -> Any:
    async def handle(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
        await conn.execute(ENVELOPE, e.originator_id, sign * getattr(e, field))

    return handle


A, E = "grants.application:", "grants.envelope:"
PROJECTION = Projection(
    name="review_queue",
    version=2,  # 2: file facts, amounts funded and paid, review details (the committee pages)
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
        A + "Funded": _money("funded", "amount_centimes", None),
        A + "Rejected": _to("rejected"),
        A + "AgreementSigned": _to("agreement_signed"),
        A + "TrancheDisbursed": _money(None, None, "amount_centimes"),
        A + "Cancelled": _to("cancelled"),
        A + "Completed": _to("completed"),
        E + "Opened": _envelope(1, "total_centimes"),
        E + "FundsReserved": _envelope(-1, "amount_centimes"),
        E + "FundsReleased": _envelope(1, "amount_centimes"),
    },
)
