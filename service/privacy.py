"""Personal data of natural persons, encrypted with a key per person (crypto-shredding).

Events are permanent, so personal data (names, e-mail, phone, national id) never enters them in
clear: it is encrypted with AES-256-GCM under a key kept in ``person_keys``. Erasing a person
deletes that key; the ciphertext left in the log can no longer be read by anyone, while
amounts, decisions and the public ledger, which hold no personal data, stay intact.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg

#: The person's key, created on first use unless erased, and the transaction's ``now()``, in one
#: round trip. The fallback subquery reads the statement's snapshot: a key another transaction
#: committed while this one waited on its conflict is not in it (``encrypt_for`` re-reads then).
KEY_AND_NOW = """
WITH created AS (
    INSERT INTO person_keys (person_id, key)
    SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM person_erasures WHERE person_id = $1)
    ON CONFLICT DO NOTHING RETURNING key
)
SELECT coalesce((SELECT key FROM created), (SELECT key FROM person_keys WHERE person_id = $1)),
       now()
"""
SELECT_KEY = "SELECT key FROM person_keys WHERE person_id = $1"
SELECT_KEYS = "SELECT person_id, key FROM person_keys WHERE person_id = ANY($1::uuid[])"
DELETE_KEY = "DELETE FROM person_keys WHERE person_id = $1"
INSERT_ERASURE = "INSERT INTO person_erasures (person_id) VALUES ($1) ON CONFLICT DO NOTHING"
NONCE_BYTES = 12


class PersonErasedError(LookupError):
    """Raised when personal data is asked of a person whose key was destroyed."""

    def __init__(self, person_id: UUID) -> None:
        super().__init__(f"person {person_id} was erased")
        self.person_id = person_id


async def encrypt_for(conn: asyncpg.Connection, person_id: UUID, data: dict[str, Any]) -> bytes:
    """Encrypt ``data`` under the person's key, creating it on first use (never after erasure)."""
    return (await encrypt_and_now(conn, person_id, data))[0]


async def encrypt_and_now(
    conn: asyncpg.Connection, person_id: UUID, data: dict[str, Any]
) -> tuple[bytes, datetime]:
    """:func:`encrypt_for`, and the transaction's ``now()`` read by the same statement: a command
    that needs both saves a round trip (see ``service.commands.Unit.now``)."""
    key, now = await conn.fetchrow(KEY_AND_NOW, person_id, AESGCM.generate_key(bit_length=256))
    if key is None:  # erased, or created by a concurrent transaction after our snapshot
        key = await conn.fetchval(SELECT_KEY, person_id)
    if key is None:
        raise PersonErasedError(person_id)
    return seal(key, person_id, data), now


async def decrypt_for(
    conn: asyncpg.Connection | asyncpg.Pool, person_id: UUID, blob: bytes
) -> dict[str, Any]:
    """The personal data sealed in ``blob``; raises :class:`PersonErasedError` once erased."""
    key = await conn.fetchval(SELECT_KEY, person_id)
    if key is None:
        raise PersonErasedError(person_id)
    return open_sealed(key, person_id, blob)


async def keys_for(
    conn: asyncpg.Connection | asyncpg.Pool, person_ids: list[UUID]
) -> dict[UUID, bytes]:
    """The keys of several persons at once (erased ones are absent), for projections."""
    return {row[0]: row[1] for row in await conn.fetch(SELECT_KEYS, person_ids)}


async def erase(conn: asyncpg.Connection, person_id: UUID) -> bool:
    """Destroy the person's key; True when there was one to destroy."""
    deleted: str = await conn.execute(DELETE_KEY, person_id)
    await conn.execute(INSERT_ERASURE, person_id)
    return deleted.endswith(" 1")


def seal(key: bytes, person_id: UUID, data: dict[str, Any]) -> bytes:
    """AES-GCM with a random nonce; the person id is bound as associated data."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, msgspec.msgpack.encode(data), person_id.bytes)


def open_sealed(key: bytes, person_id: UUID, blob: bytes) -> dict[str, Any]:
    """Reverse :func:`seal`; raises ``cryptography.exceptions.InvalidTag`` if tampered with."""
    nonce, ciphertext = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
    plain = AESGCM(key).decrypt(nonce, ciphertext, person_id.bytes)
    return msgspec.msgpack.decode(plain)  # type: ignore[no-any-return]
