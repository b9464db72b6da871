"""Server-side web sessions in PostgreSQL, shared by every worker and surviving restarts.

Only ids this module issued are ever found: a cookie carrying any other id loads nothing, so a
session id cannot be planted (fixation). The table stores the SHA-256 of each id, not the id.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    import uuid

    import asyncpg

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen is refreshed at most this often, so reading pages does not write on every request.
TOUCH_EVERY = timedelta(minutes=1)

SELECT_SESSION = """
SELECT s.data::text AS data, s.last_seen < now() - $4::interval AS stale,
       u.id, u.email, u.display_name, u.role, u.disabled
FROM web_sessions s LEFT JOIN users u ON u.id = s.user_id AND NOT u.disabled
WHERE s.id_hash = $1 AND s.last_seen > now() - $2::interval AND s.created_at > now() - $3::interval
"""
INSERT_SESSION = "INSERT INTO web_sessions (id_hash, data, user_id) VALUES ($1, $2::jsonb, $3)"
UPDATE_SESSION = """
UPDATE web_sessions SET data = $2::jsonb, user_id = $3, last_seen = now() WHERE id_hash = $1
"""
TOUCH_SESSION = "UPDATE web_sessions SET last_seen = now() WHERE id_hash = $1"
DELETE_SESSION = "DELETE FROM web_sessions WHERE id_hash = $1"
DELETE_FOR_USER = "DELETE FROM web_sessions WHERE user_id = $1"
PURGE_EXPIRED = "DELETE FROM web_sessions WHERE last_seen < now() - $1::interval OR created_at < now() - $2::interval"


@dataclass(frozen=True)
class StoredSession:
    """A live session: its data, whether ``last_seen`` is due a refresh, and its user's row."""

    data: dict[str, Any]
    stale: bool
    user: asyncpg.Record | None


def new_id() -> str:
    """A fresh session id: 256 random bits."""
    return secrets.token_urlsafe(32)


def _hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


async def load(pool: asyncpg.Pool, session_id: str) -> StoredSession | None:
    """The live session with this id, or ``None`` (unknown, idle too long or too old)."""
    if not 20 <= len(session_id) <= 100:
        return None
    row = await pool.fetchrow(
        SELECT_SESSION, _hash(session_id), IDLE_TIMEOUT, ABSOLUTE_TIMEOUT, TOUCH_EVERY
    )
    if row is None:
        return None
    return StoredSession(
        msgspec.json.decode(row["data"]), row["stale"], row if row["id"] is not None else None
    )


async def create(pool: asyncpg.Pool, data: dict[str, Any], user_id: uuid.UUID | None) -> str:
    """Store a new session and return its id (the only place ids are issued)."""
    session_id = new_id()
    await pool.execute(INSERT_SESSION, _hash(session_id), _encode(data), user_id)
    return session_id


async def save(
    pool: asyncpg.Pool, session_id: str, data: dict[str, Any], user_id: uuid.UUID | None
) -> None:
    """Replace a session's data."""
    await pool.execute(UPDATE_SESSION, _hash(session_id), _encode(data), user_id)


async def touch(pool: asyncpg.Pool, session_id: str) -> None:
    """Record activity, pushing back the idle timeout."""
    await pool.execute(TOUCH_SESSION, _hash(session_id))


async def delete(pool: asyncpg.Pool, session_id: str) -> None:
    """End one session."""
    await pool.execute(DELETE_SESSION, _hash(session_id))


async def end_all_for_user(conn: asyncpg.Connection | asyncpg.Pool, user_id: uuid.UUID) -> None:
    """End every session of a user (log-out everywhere, password changed, account disabled)."""
    await conn.execute(DELETE_FOR_USER, user_id)


async def purge_expired(pool: asyncpg.Pool) -> int:
    """Delete sessions past their idle or absolute timeout; how many went."""
    status = await pool.execute(PURGE_EXPIRED, IDLE_TIMEOUT, ABSOLUTE_TIMEOUT)
    return int(status.split()[-1])


def _encode(data: dict[str, Any]) -> str:
    return msgspec.json.encode(data).decode()
