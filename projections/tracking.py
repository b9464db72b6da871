"""The ``projection_tracking`` table: each projection's position, counts and error state."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from service.store import START, Position

if TYPE_CHECKING:
    import asyncpg

LOCK = """
SELECT tx_id, notification_id FROM projection_tracking WHERE name = $1 FOR UPDATE
"""
SELECT_POSITION = "SELECT tx_id, notification_id FROM projection_tracking WHERE name = $1"
SELECT_VERSION = "SELECT version FROM projection_tracking WHERE name = $1"
ADVANCE = """
UPDATE projection_tracking
SET tx_id = $2, notification_id = $3, applied = applied + $4 - $5, skipped = skipped + $5,
    updated_at = now(), error = NULL
WHERE name = $1
"""
RECORD_ERROR = """
UPDATE projection_tracking SET error = $2, updated_at = now() WHERE name = $1
"""
RESET = """
INSERT INTO projection_tracking
    (name, version, tx_id, notification_id, applied, skipped, updated_at, error)
VALUES ($1, $2, $3, $4, $5, $6, now(), NULL)
ON CONFLICT (name) DO UPDATE SET
    version = excluded.version, tx_id = excluded.tx_id,
    notification_id = excluded.notification_id, applied = excluded.applied,
    skipped = excluded.skipped, updated_at = excluded.updated_at, error = NULL
"""
SELECT_ALL = """
SELECT name, version, tx_id, notification_id, applied, skipped, updated_at, error,
       extract(epoch FROM now() - updated_at)::float8 AS idle_seconds
FROM projection_tracking ORDER BY name
"""


async def lock(conn: asyncpg.Connection, name: str) -> Position | None:
    """Lock the projection's row for this transaction; its position (None if not set up)."""
    row = await conn.fetchrow(LOCK, name)
    return Position(int(row[0]), row[1]) if row else None


async def position(db: asyncpg.Pool | asyncpg.Connection, name: str) -> Position:
    """Where the projection stands (the start of the log if it was never run)."""
    row = await db.fetchrow(SELECT_POSITION, name)
    return Position(int(row[0]), row[1]) if row else START


async def version(db: asyncpg.Pool | asyncpg.Connection, name: str) -> int | None:
    """The version of the projection's tables (None if they were never created)."""
    value = await db.fetchval(SELECT_VERSION, name)
    return int(value) if value is not None else None


async def advance(
    conn: asyncpg.Connection, name: str, to: Position, read: int, skipped: int
) -> None:
    """Move the position past a page of ``read`` events of which ``skipped`` had no handler."""
    await conn.execute(ADVANCE, name, to.tx_id, to.notification_id, read, skipped)


async def record_error(db: asyncpg.Pool | asyncpg.Connection, name: str, error: str) -> None:
    """Make a failure visible in the table (the position stays where it was)."""
    await db.execute(RECORD_ERROR, name, error)


async def reset(
    conn: asyncpg.Connection,
    name: str,
    version_: int,
    to: Position = START,
    applied: int = 0,
    skipped: int = 0,
) -> None:
    """Set (or create) the projection's row, clearing any error."""
    await conn.execute(RESET, name, version_, to.tx_id, to.notification_id, applied, skipped)


async def all_rows(db: asyncpg.Pool | asyncpg.Connection) -> list[asyncpg.Record]:
    """Every projection's row, by name."""
    return list(await db.fetch(SELECT_ALL))


async def reached(
    db: asyncpg.Pool, name: str, target: Position | None, *, timeout_s: float, poll_s: float = 0.05
) -> bool:
    """Wait (at most ``timeout_s``) until projection ``name`` has applied the log up to
    ``target``: a page shown right after a write then reads that write. False on time-out."""
    if target is None:
        return True
    deadline = time.monotonic() + timeout_s
    while tuple(await position(db, name)) < tuple(target):
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(poll_s)
    return True
