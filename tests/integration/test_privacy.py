"""Personal data is sealed per person; destroying the key makes it unreadable for good."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from service.privacy import PersonErasedError, decrypt_for, encrypt_for, erase

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
