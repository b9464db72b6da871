"""The public call pages and the API's call document: each call's rules and published texts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.call_texts import CallDescription
from projections.projection import Projection

if TYPE_CHECKING:
    import asyncpg

    from service.store import LogNotification

DDL = """
CREATE TABLE call_pages (
    call_id                 uuid PRIMARY KEY,
    envelope_id             uuid        NOT NULL,
    title                   text        NOT NULL,
    eligible_sectors        text[]      NOT NULL,
    eligible_provinces      text[]      NOT NULL,
    min_request_centimes    bigint      NOT NULL,
    max_request_centimes    bigint      NOT NULL,
    max_share_basis_points  integer     NOT NULL,
    opens_at                timestamptz NOT NULL,
    closes_at               timestamptz,
    closed_at               timestamptz,
    description             jsonb,
    described_at            timestamptz
);
"""
ALL_CALLS = """
SELECT call_id, envelope_id, title, eligible_sectors, eligible_provinces, min_request_centimes,
       max_request_centimes, max_share_basis_points, opens_at, closes_at, closed_at, description,
       described_at
FROM call_pages ORDER BY opens_at DESC, call_id
"""
ONE_CALL = """
SELECT call_id, envelope_id, title, eligible_sectors, eligible_provinces, min_request_centimes,
       max_request_centimes, max_share_basis_points, opens_at, closes_at, closed_at, description,
       described_at
FROM call_pages WHERE call_id = $1
"""
INSERT = """
INSERT INTO call_pages VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, NULL)
"""
DESCRIBE = "UPDATE call_pages SET description = $2::jsonb, described_at = $3 WHERE call_id = $1"
CLOSE = "UPDATE call_pages SET closed_at = $2 WHERE call_id = $1"


@dataclass(frozen=True, kw_only=True)
class CallPage:
    """A call as the public reads it: rules (amounts, share, window, eligibility) and texts."""

    call_id: UUID
    envelope_id: UUID
    title: str
    eligible_sectors: list[str]
    eligible_provinces: list[str]
    min_request_centimes: int
    max_request_centimes: int
    max_share_basis_points: int
    opens_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    description: CallDescription | None
    described_at: datetime | None

    def is_open_at(self, at: datetime) -> bool:
        """Mirrors ``domain.calls.Call.is_open_at``."""
        if self.closed_at is not None or at < self.opens_at:
            return False
        return self.closes_at is None or at < self.closes_at

    @property
    def deadline(self) -> datetime | None:
        """When applications stop: the planned end, or the early closing if sooner."""
        ends = [t for t in (self.closes_at, self.closed_at) if t is not None]
        return min(ends) if ends else None


def _page(row: asyncpg.Record) -> CallPage:
    data: dict[str, Any] = dict(row)
    raw = data.pop("description")
    data["description"] = CallDescription.from_dict(json.loads(raw)) if raw else None
    return CallPage(**data)


def time_left(page: CallPage, now: datetime) -> dict[str, int] | None:
    """Days, hours and minutes until the deadline (None: no deadline, or already passed)."""
    deadline = page.deadline
    if deadline is None or deadline <= now or not page.is_open_at(now):
        return None
    minutes = int((deadline - now).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    return {"days": days, "hours": rest // 60, "minutes": rest % 60}


def status_of(page: CallPage, now: datetime) -> str:
    """``upcoming``, ``open`` or ``closed``."""
    if page.is_open_at(now):
        return "open"
    return "upcoming" if page.closed_at is None and now < page.opens_at else "closed"


async def call_pages(pool: asyncpg.Pool) -> list[CallPage]:
    """Every call, newest first."""
    return [_page(r) for r in await pool.fetch(ALL_CALLS)]


async def call_page(pool: asyncpg.Pool, call_id: UUID) -> CallPage | None:
    """One call, or None."""
    row = await pool.fetchrow(ONE_CALL, call_id)
    return _page(row) if row else None


async def _opened(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        INSERT, e.originator_id, e.envelope_id, e.title, list(e.eligible_sectors),
        list(e.eligible_provinces), e.min_request_centimes, e.max_request_centimes,
        # Opened events written before the share existed: the programme's 30 %.
        getattr(e, "max_share_basis_points", 3_000), e.opens_at, e.closes_at,
    )  # fmt: skip


async def _described(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(DESCRIBE, e.originator_id, json.dumps(e.description), e.timestamp)


async def _closed(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(CLOSE, e.originator_id, e.timestamp)


PROJECTION = Projection(
    name="call_pages",
    version=1,
    batched=True,  # its handlers only execute: a page sends each run of writes at once
    tables=("call_pages",),
    ddl=DDL,
    handlers={
        "grants.call:Opened": _opened,
        "grants.call:Described": _described,
        "grants.call:Closed": _closed,
    },
)
