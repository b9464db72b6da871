"""Conflicts of interest with the reviewer's reason, for the chair and officers (issue 14).

The review queue knows only *that* a reviewer is conflicted; this read model keeps *why*, as the
reviewer wrote it, so that the people who assign and decide can judge it. Never public.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from projections.projection import Projection

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from service.store import LogNotification

DDL: Final = """
CREATE TABLE conflict_reasons (
    application_id uuid        NOT NULL,
    reviewer_id    uuid        NOT NULL,
    reason         text        NOT NULL,
    declared_at    timestamptz NOT NULL,
    PRIMARY KEY (application_id, reviewer_id)
);
"""
DECLARE: Final = """
INSERT INTO conflict_reasons VALUES ($1, $2, $3, $4)
ON CONFLICT (application_id, reviewer_id) DO NOTHING
"""
OF_FILE: Final = """
SELECT reviewer_id, reason, declared_at FROM conflict_reasons WHERE application_id = $1
ORDER BY declared_at, reviewer_id
"""


@dataclass(frozen=True, kw_only=True)
class Conflict:
    """A reviewer's declared conflict on a file; ``reason`` is empty for declarations recorded
    before a reason was asked for."""

    reviewer_id: UUID
    reason: str
    declared_at: dt.datetime


async def of_file(pool: asyncpg.Pool, application_id: UUID) -> dict[UUID, Conflict]:
    """The conflicts declared on the file, by reviewer."""
    rows = await pool.fetch(OF_FILE, application_id)
    return {r["reviewer_id"]: Conflict(**dict(r)) for r in rows}


async def _declared(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(DECLARE, e.originator_id, e.reviewer_id, e.reason, e.timestamp)


PROJECTION: Final = Projection(
    name="conflict_reasons",
    version=1,
    batched=True,  # its handlers only execute: a page sends each run of writes at once
    tables=("conflict_reasons",),
    ddl=DDL,
    handlers={"grants.application:ConflictDeclared": _declared},
)
