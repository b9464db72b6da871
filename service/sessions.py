"""Server-side web sessions in PostgreSQL, shared by every worker and surviving restarts.

Only ids this module issued are ever found: a cookie carrying any other id loads nothing, so a
session id cannot be planted (fixation). The table stores the SHA-256 of each id, not the id.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from service.live import SESSIONS_CHANNEL

if TYPE_CHECKING:
    import uuid

    import asyncpg

    from service.live import LiveFeed

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen is refreshed at most this often, so reading pages does not write on every request.
TOUCH_EVERY = timedelta(minutes=1)

SELECT_SESSION = """
SELECT s.data::text AS data, s.last_seen < now() - $4::interval AS stale, s.user_id,
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
CACHE_TTL_S = 5.0
CACHE_MAX_ENTRIES = 20_000
PURGE_EXPIRED = "DELETE FROM web_sessions WHERE last_seen < now() - $1::interval OR created_at < now() - $2::interval"


@dataclass(frozen=True)
class StoredSession:
    """A live session: its data, whether ``last_seen`` is due a refresh, and its user's row."""

    data: dict[str, Any]
    stale: bool
    user: asyncpg.Record | None


class SessionCache:
    """The sessions this process read in the last :data:`CACHE_TTL_S` seconds, with their user.

    Each request would otherwise read its session (a pool connection, a statement and the
    connection's reset: three of a submission's round trips before the cache). Trusted only while
    every change reaches the process: triggers (migration 0150) announce each changed or ended
    session and each changed account on :data:`~service.live.SESSIONS_CHANNEL`, and the
    process's one LISTEN connection hands them to :meth:`forget`. While the feed does not listen
    the cache answers nothing, and it forgets everything whenever the feed stops or starts
    listening (notifications in between are lost). A read that raced with a notification is not
    kept: :meth:`keep` refuses it when anything was forgotten since the read began.
    """

    def __init__(self, feed: LiveFeed, ttl_s: float = CACHE_TTL_S) -> None:
        self.feed = feed
        self.ttl_s = ttl_s
        self.hits = self.misses = 0
        #: key -> (read at, data as JSON, stale, the user's row, the session's user id)
        self._entries: dict[str, tuple[float, str, bool, Any, uuid.UUID | None]] = {}
        self._generation = 0
        feed.follow(SESSIONS_CHANNEL, self.forget)

    def lookup(self, key: str) -> StoredSession | None:
        """The cached session under ``key`` (:func:`cache_key`), if fresh and trustworthy."""
        entry = self._entries.get(key) if self.feed.mode == "listening" else None
        if entry is None or time.monotonic() - entry[0] > self.ttl_s:
            self.misses += 1
            return None
        self.hits += 1
        # Decoded afresh for each request: no request sees another's changes to the dict.
        return StoredSession(msgspec.json.decode(entry[1]), entry[2], entry[3])

    def generation(self) -> int:
        """Taken before a read; handed back to :meth:`keep`."""
        return self._generation

    def keep(self, key: str, generation: int, row: Any) -> None:
        """Remember a session read from the database, unless something changed meanwhile."""
        if generation != self._generation or self.feed.mode != "listening":
            return
        if len(self._entries) >= CACHE_MAX_ENTRIES:
            self._entries.clear()
        user = row if row["id"] is not None else None
        self._entries[key] = (time.monotonic(), row["data"], row["stale"], user, row["user_id"])

    def forget(self, payload: str | None) -> None:
        """A session's key, ``u<user id>`` for every session of a user, ``None`` for all."""
        self._generation += 1
        if payload is None:
            self._entries.clear()
        elif payload.startswith("u"):
            user_id = payload[1:]
            for key, entry in list(self._entries.items()):
                if str(entry[4]) == user_id:
                    del self._entries[key]
        else:
            self._entries.pop(payload, None)


def cache_key(session_id: str) -> str:
    """The key of a session in :class:`SessionCache` (and in its notifications)."""
    return _hash(session_id).hex()


def new_id() -> str:
    """A fresh session id: 256 random bits."""
    return secrets.token_urlsafe(32)


def _hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


async def load(
    pool: asyncpg.Pool, session_id: str, cache: SessionCache | None = None
) -> StoredSession | None:
    """The live session with this id, or ``None`` (unknown, idle too long or too old)."""
    if not 20 <= len(session_id) <= 100:
        return None
    key = cache_key(session_id)
    if cache is not None and (cached := cache.lookup(key)) is not None:
        return cached
    generation = cache.generation() if cache is not None else 0
    row = await pool.fetchrow(
        SELECT_SESSION, _hash(session_id), IDLE_TIMEOUT, ABSOLUTE_TIMEOUT, TOUCH_EVERY
    )
    if row is None:
        return None
    user = row if row["id"] is not None else None
    if cache is not None:
        cache.keep(key, generation, row)
    return StoredSession(msgspec.json.decode(row["data"]), row["stale"], user)


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
