"""Personal data is sealed per person; destroying the key makes it unreadable for good."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import pytest

from service.privacy import PersonErasedError, decrypt_for, encrypt_and_now, encrypt_for, erase

if TYPE_CHECKING:
    import asyncpg

CONTACT = {"name": "Fatima Zahra Amrani", "email": "fz.amrani@example.ma", "cin": "JB123456"}


async def test_sealed_data_reads_back_until_erased(pool: asyncpg.Pool) -> None:
    person = uuid.uuid4()
    async with pool.acquire() as conn:
        blob = await encrypt_for(conn, person, CONTACT)
        assert b"Amrani" not in blob
        assert b"JB123456" not in blob
        assert await decrypt_for(conn, person, blob) == CONTACT
        assert await erase(conn, person)
        with pytest.raises(PersonErasedError):
            await decrypt_for(conn, person, blob)


async def test_an_erased_person_gets_no_new_key(pool: asyncpg.Pool) -> None:
    person = uuid.uuid4()
    async with pool.acquire() as conn:
        await encrypt_for(conn, person, CONTACT)
        await erase(conn, person)
        # A later write must not silently create a fresh key for an erased person.
        with pytest.raises(PersonErasedError):
            await encrypt_for(conn, person, CONTACT)
        assert (
            await conn.fetchval("SELECT count(*) FROM person_keys WHERE person_id=$1", person) == 0
        )


async def test_a_key_created_concurrently_is_the_one_used(pool: asyncpg.Pool) -> None:
    """Two first submissions of one person: the second waits for the first's key and uses it
    (its statement's snapshot predates that key, so it must re-read rather than call the person
    erased), and gets its own transaction's time."""
    person = uuid.uuid4()
    async with pool.acquire() as first, pool.acquire() as second:
        earlier, later = first.transaction(), second.transaction()
        await earlier.start()
        await encrypt_for(first, person, CONTACT)
        await later.start()
        started = await second.fetchval("SELECT now()")
        waiting = asyncio.create_task(encrypt_and_now(second, person, CONTACT))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # blocked on the first's uncommitted key
        await earlier.commit()
        blob, at = await waiting
        await later.commit()
        assert at == started
        assert await decrypt_for(first, person, blob) == CONTACT
        assert (
            await first.fetchval("SELECT count(*) FROM person_keys WHERE person_id=$1", person) == 1
        )
