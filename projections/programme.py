"""The programme's calls and rubric versions, as the investor form and the committee need them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from projections.projection import Projection

if TYPE_CHECKING:
    import asyncpg

    from service.store import LogNotification

DDL = """
CREATE TABLE programme_calls (
    call_id               uuid PRIMARY KEY,
    envelope_id           uuid        NOT NULL,
    title                 text        NOT NULL,
    eligible_sectors      text[]      NOT NULL,
    eligible_provinces    text[]      NOT NULL,
    min_request_centimes  bigint      NOT NULL,
    max_request_centimes  bigint      NOT NULL,
    opens_at              timestamptz NOT NULL,
    closes_at             timestamptz,
    closed_at             timestamptz
);
CREATE TABLE programme_rubrics (
    rubric_id       uuid PRIMARY KEY,
    name            text        NOT NULL,
    rubric_version  integer     NOT NULL,
    criteria        jsonb       NOT NULL,
    drafted_at      timestamptz NOT NULL,
    published_at    timestamptz
);
"""
CALLS = """
SELECT call_id, envelope_id, title, eligible_sectors, eligible_provinces, min_request_centimes,
       max_request_centimes, opens_at, closes_at, closed_at
FROM programme_calls {where} ORDER BY opens_at DESC, call_id
"""
RUBRICS = """
SELECT rubric_id, name, rubric_version, criteria, drafted_at, published_at
FROM programme_rubrics {where} ORDER BY rubric_version DESC, drafted_at DESC
"""


@dataclass(frozen=True, kw_only=True)
class CallView:
    """A call for applications; empty eligibility lists mean every sector / province."""

    call_id: UUID
    envelope_id: UUID
    title: str
    eligible_sectors: list[str]
    eligible_provinces: list[str]
    min_request_centimes: int
    max_request_centimes: int
    opens_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None

    def is_open_at(self, at: datetime) -> bool:
        """Mirrors ``domain.calls.Call.is_open_at``."""
        if self.closed_at is not None or at < self.opens_at:
            return False
        return self.closes_at is None or at < self.closes_at


@dataclass(frozen=True, kw_only=True)
class RubricView:
    """One rubric version; ``criteria`` as ``Criterion.as_dict()`` (key, weight, labels)."""

    rubric_id: UUID
    name: str
    rubric_version: int
    criteria: list[dict[str, Any]]
    drafted_at: datetime
    published_at: datetime | None


async def calls(pool: asyncpg.Pool) -> list[CallView]:
    """Every call, newest first."""
    return [CallView(**dict(r)) for r in await pool.fetch(CALLS.format(where=""))]


async def open_calls(pool: asyncpg.Pool, at: datetime) -> list[CallView]:
    """The calls accepting applications at ``at``."""
    return [c for c in await calls(pool) if c.is_open_at(at)]


async def call(pool: asyncpg.Pool, call_id: UUID) -> CallView | None:
    """One call, or None."""
    row = await pool.fetchrow(CALLS.format(where="WHERE call_id = $1"), call_id)
    return CallView(**dict(row)) if row else None


def _rubric(row: asyncpg.Record) -> RubricView:
    return RubricView(**{**dict(row), "criteria": json.loads(row["criteria"])})


async def rubrics(pool: asyncpg.Pool) -> list[RubricView]:
    """Every rubric version, newest first."""
    return [_rubric(r) for r in await pool.fetch(RUBRICS.format(where=""))]


async def rubric(pool: asyncpg.Pool, rubric_id: UUID) -> RubricView | None:
    """One rubric version, or None."""
    row = await pool.fetchrow(RUBRICS.format(where="WHERE rubric_id = $1"), rubric_id)
    return _rubric(row) if row else None


async def published_rubric(pool: asyncpg.Pool) -> RubricView | None:
    """The rubric reviewers score against: the latest published version."""
    row = await pool.fetchrow(RUBRICS.format(where="WHERE published_at IS NOT NULL") + " LIMIT 1")
    return _rubric(row) if row else None


async def _call_opened(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        "INSERT INTO programme_calls VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)",
        e.originator_id, e.envelope_id, e.title, list(e.eligible_sectors),
        list(e.eligible_provinces), e.min_request_centimes, e.max_request_centimes,
        e.opens_at, e.closes_at,
    )  # fmt: skip


async def _call_closed(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        "UPDATE programme_calls SET closed_at = $2 WHERE call_id = $1", e.originator_id, e.timestamp
    )


async def _rubric_drafted(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        "INSERT INTO programme_rubrics VALUES ($1, $2, $3, $4::jsonb, $5, NULL)",
        e.originator_id, e.name, e.rubric_version, json.dumps(list(e.criteria)), e.timestamp,
    )  # fmt: skip


async def _rubric_revised(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        "UPDATE programme_rubrics SET criteria = $2::jsonb WHERE rubric_id = $1",
        e.originator_id, json.dumps(list(e.criteria)),
    )  # fmt: skip


async def _rubric_published(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        "UPDATE programme_rubrics SET published_at = $2 WHERE rubric_id = $1",
        e.originator_id, e.timestamp,
    )  # fmt: skip


PROJECTION = Projection(
    name="programme",
    version=1,
    batched=True,  # its handlers only execute: a page sends each run of writes at once
    tables=("programme_calls", "programme_rubrics"),
    ddl=DDL,
    handlers={
        "grants.call:Opened": _call_opened,
        "grants.call:Closed": _call_closed,
        "grants.rubric:Drafted": _rubric_drafted,
        "grants.rubric:Revised": _rubric_revised,
        "grants.rubric:Published": _rubric_published,
    },
)
