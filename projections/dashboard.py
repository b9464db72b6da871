"""The investor's dashboard: their own files, each with a timeline of every step in plain words.

A timeline entry is a ``kind`` key plus ``params``; the web layer turns them into a sentence in
the reader's language. Reviewer and officer ids never enter the timeline, and a conflict of
interest, a committee-internal matter, is not shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from projections import dashboard_page
from projections.projection import Projection

if TYPE_CHECKING:
    import datetime as dt
    from uuid import UUID

    import asyncpg


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


PROJECTION = Projection(
    name="dashboard",
    version=1,
    tables=("dashboard_files", "dashboard_timeline"),
    ddl=DDL,
    # a page at a time, a few statements per page (projections.dashboard_page)
    page_topics=dashboard_page.TOPICS,
    apply_page=dashboard_page.apply_page,
)
