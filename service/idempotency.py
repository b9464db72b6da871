"""Idempotency-Key for requests that create something: one response per (user, key).

The first request with a key claims it with the fingerprint of what it asks; when it has done
its work it records the response. A retry with the same key and fingerprint gets the recorded
response; another fingerprint under the same key is refused. The command itself also carries
the key (``service.commands.execute`` records it in the command's transaction), so even a
request that died between its command and recording the response creates nothing twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

CLAIM = """
INSERT INTO api_idempotency (user_id, key, fingerprint) VALUES ($1, $2, $3)
ON CONFLICT (user_id, key) DO NOTHING RETURNING true
"""
SELECT = """
SELECT fingerprint, status, response, claimed_at < now() - $3::interval AS abandoned
FROM api_idempotency WHERE user_id = $1 AND key = $2
"""
TAKE_OVER = """
UPDATE api_idempotency SET claimed_at = now()
WHERE user_id = $1 AND key = $2 AND response IS NULL AND claimed_at < now() - $3::interval
RETURNING true
"""
RECORD = "UPDATE api_idempotency SET status = $3, response = $4 WHERE user_id = $1 AND key = $2"
RELEASE = "DELETE FROM api_idempotency WHERE user_id = $1 AND key = $2 AND response IS NULL"
#: A claim without a response older than this belongs to a request that died.
ABANDONED_AFTER = timedelta(seconds=30)
MAX_KEY_LENGTH = 200


class IdempotencyKeyReusedError(Exception):
    """Raised when a key already served a request with another method, path or body."""

    code = "idempotency_key_reused"


class IdempotencyKeyInFlightError(Exception):
    """Raised when a request with the same key is still being processed."""

    code = "idempotency_key_in_flight"


@dataclass(frozen=True)
class Recorded:
    """The response the first request with this key got."""

    status: int
    body: bytes


def fingerprint(*parts: bytes) -> bytes:
    """A digest of what the request asks for (method, path, body)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


async def claim(pool: asyncpg.Pool, user_id: UUID, key: str, print_: bytes) -> Recorded | None:
    """Claim ``key`` for this request (None: go ahead), or the response already recorded."""
    if await pool.fetchval(CLAIM, user_id, key, print_):
        return None
    row = await pool.fetchrow(SELECT, user_id, key, ABANDONED_AFTER)
    if row is None:  # released meanwhile by a failed first request: try once more
        if await pool.fetchval(CLAIM, user_id, key, print_):
            return None
        raise IdempotencyKeyInFlightError(key)
    if bytes(row["fingerprint"]) != print_:
        raise IdempotencyKeyReusedError(key)
    if row["response"] is not None:
        return Recorded(row["status"], bytes(row["response"]))
    if row["abandoned"] and await pool.fetchval(TAKE_OVER, user_id, key, ABANDONED_AFTER):
        return None
    raise IdempotencyKeyInFlightError(key)


async def record(pool: asyncpg.Pool, user_id: UUID, key: str, status: int, body: bytes) -> None:
    """Keep the response of the request that claimed ``key``."""
    await pool.execute(RECORD, user_id, key, status, body)


async def release(pool: asyncpg.Pool, user_id: UUID, key: str) -> None:
    """Give the key back after a refused request, so a corrected retry may use it."""
    await pool.execute(RELEASE, user_id, key)
