"""The investor's dashboard: their own files, each with a timeline of every step in plain words.

A timeline entry is a ``kind`` key plus ``params``; the web layer turns them into a sentence in
the reader's language. Reviewer and officer ids never enter the timeline, and a conflict of
interest, a committee-internal matter, is not shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from projections.projection import Projection
from projections.status import AMENDED, ASSIGNED, SET_STATUS

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable
    from uuid import UUID

    import asyncpg

    from service.store import LogNotification

DDL = """
CREATE TABLE dashboard_files (
    application_id      uuid PRIMARY KEY,
    investor_id         uuid        NOT NULL,
    title               text        NOT NULL,
    sector              text        NOT NULL,
    province            text        NOT NULL,
    requested_centimes  bigint      NOT NULL,
    funded_centimes     bigint      NOT NULL DEFAULT 0,
    disbursed_centimes  bigint      NOT NULL DEFAULT 0,
    status              text        NOT NULL,
    before_request      text        NOT NULL DEFAULT 'submitted',
    submitted_at        timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX dashboard_files_by_investor ON dashboard_files (investor_id, submitted_at);
CREATE TABLE dashboard_timeline (
    application_id uuid        NOT NULL,
    version        bigint      NOT NULL,
    kind           text        NOT NULL,
    params         jsonb       NOT NULL,
    occurred_at    timestamptz NOT NULL,
    PRIMARY KEY (application_id, version)
);
"""
INSERT_FILE = """
INSERT INTO dashboard_files (application_id, investor_id, title, sector, province,
    requested_centimes, status, submitted_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, 'submitted', $7, $7)
"""
UPDATE_FILE = f"""
UPDATE dashboard_files SET {SET_STATUS}, updated_at = $3,
    funded_centimes = funded_centimes + $4, disbursed_centimes = disbursed_centimes + $5,
    title = coalesce($6, title), requested_centimes = coalesce($7, requested_centimes)
WHERE application_id = $1
"""
INSERT_STEP = """
INSERT INTO dashboard_timeline (application_id, version, kind, params, occurred_at)
VALUES ($1, $2, $3, $4::jsonb, $5)
"""
FILE_COLUMNS = (
    "application_id, investor_id, title, sector, province, requested_centimes, "
    "funded_centimes, disbursed_centimes, status, submitted_at, updated_at"
)
SELECT_FILES = f"""
SELECT {FILE_COLUMNS} FROM dashboard_files WHERE investor_id = $1 ORDER BY submitted_at DESC, application_id
"""
SELECT_FILE = (
    f"SELECT {FILE_COLUMNS} FROM dashboard_files WHERE investor_id = $1 AND application_id = $2"
)
SELECT_TIMELINE = """
SELECT t.kind, t.params, t.occurred_at FROM dashboard_timeline t
JOIN dashboard_files f USING (application_id)
WHERE f.investor_id = $1 AND t.application_id = $2 ORDER BY t.version
"""


@dataclass(frozen=True, kw_only=True)
class Step:
    """One thing that happened to a file: a kind key, its parameters, when."""

    kind: str
    params: dict[str, Any]
    occurred_at: dt.datetime


async def files(pool: asyncpg.Pool, investor_id: UUID) -> list[dict[str, Any]]:
    """The investor's own files, newest first."""
    return [dict(r) for r in await pool.fetch(SELECT_FILES, investor_id)]


async def file(
    pool: asyncpg.Pool, investor_id: UUID, application_id: UUID
) -> dict[str, Any] | None:
    """One file, only if it is the investor's own (None otherwise, as for a missing file)."""
    row = await pool.fetchrow(SELECT_FILE, investor_id, application_id)
    return dict(row) if row else None


async def timeline(pool: asyncpg.Pool, investor_id: UUID, application_id: UUID) -> list[Step]:
    """Every step of the investor's own file, oldest first (empty for someone else's file)."""
    rows = await pool.fetch(SELECT_TIMELINE, investor_id, application_id)
    return [Step(kind=r[0], params=json.loads(r[1]), occurred_at=r[2]) for r in rows]


async def _submitted(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        INSERT_FILE, e.originator_id, e.investor_id, e.title, e.sector, e.province,
        e.requested_centimes, e.timestamp,
    )  # fmt: skip
    await _step(conn, e, "submitted", {"requested_centimes": e.requested_centimes})


async def _step(conn: asyncpg.Connection, e: Any, kind: str, params: dict[str, Any]) -> None:
    text = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    await conn.execute(INSERT_STEP, e.originator_id, e.originator_version, kind, text, e.timestamp)


def _step_handler(
    kind: str,
    status: str | None = None,
    params: Callable[[Any], dict[str, Any]] = lambda e: {},
    funded: Callable[[Any], int] = lambda e: 0,
    disbursed: Callable[[Any], int] = lambda e: 0,
) -> Callable[[asyncpg.Connection, Any, LogNotification], Any]:
    async def handle(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
        changes = getattr(e, "changes", None) or {}
        await conn.execute(
            UPDATE_FILE, e.originator_id, status, e.timestamp, funded(e), disbursed(e),
            changes.get("title"), changes.get("requested_centimes"),
        )  # fmt: skip
        await _step(conn, e, kind, params(e))

    return handle


_amended_step = _step_handler("amended", AMENDED, lambda e: {"fields": sorted(e.changes)})


async def _amended(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    """An amendment; one with no changes (a reply that only answers) moves the status only."""
    if e.changes:
        await _amended_step(conn, e, n)
    else:
        await conn.execute(UPDATE_FILE, e.originator_id, AMENDED, e.timestamp, 0, 0, None, None)


A = "grants.application:"
PROJECTION = Projection(
    name="dashboard",
    version=1,
    tables=("dashboard_files", "dashboard_timeline"),
    ddl=DDL,
    handlers={
        A + "Submitted": _submitted,
        A + "Amended": _amended,
        A + "DocumentAttached": _step_handler("document_attached", None, lambda e: {"kind": e.kind}),
        A + "InformationReplied": _step_handler(
            "information_replied", None, lambda e: {"documents": len(e.document_ids)}
        ),
        A + "Withdrawn": _step_handler("withdrawn", "withdrawn"),
        A + "InformationRequested": _step_handler(
            "information_requested", "information_requested", lambda e: {"question": e.question}
        ),
        A + "ScreenedOut": _step_handler("screened_out", "screened_out", lambda e: {"reason": e.reason}),
        A + "ReviewerAssigned": _step_handler("reviewer_assigned", ASSIGNED),
        A + "Reviewed": _step_handler("reviewed"),
        A + "Funded": _step_handler(
            "funded", "funded", lambda e: {"amount_centimes": e.amount_centimes},
            funded=lambda e: e.amount_centimes,
        ),
        A + "Rejected": _step_handler("rejected", "rejected", lambda e: {"reason": e.reason}),
        A + "AgreementSigned": _step_handler("agreement_signed", "agreement_signed"),
        A + "TrancheDisbursed": _step_handler(
            "tranche_disbursed", None, lambda e: {"amount_centimes": e.amount_centimes},
            disbursed=lambda e: e.amount_centimes,
        ),
        A + "Cancelled": _step_handler(
            "cancelled", "cancelled",
            lambda e: {"reason": e.reason, "released_centimes": e.released_centimes},
        ),
        A + "Completed": _step_handler(
            "completed", "completed", lambda e: {"released_centimes": e.released_centimes}
        ),
    },
)  # fmt: skip
