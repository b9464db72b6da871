"""Erase a natural person (law 09-08): one use case for the CLI and the officer's page.

In one transaction: destroy the person's encryption key (their data in events becomes
unreadable, see :mod:`service.privacy`), and remove the plaintext kept outside events: their
account's sessions, password-reset tokens, failed-log-in counters, mail in the outbox,
drafts of applications and their sealed documents; the
account itself stays (ids in events point at it) with the e-mail and name replaced by an erased
marker and log-in disabled. Amounts, decisions and the public ledger hold no personal data and
are untouched, so the ledger still verifies and every projection still rebuilds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from service import documents, drafts, privacy, sessions

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

ERASED_NAME = "[erased]"
SELECT_USER = "SELECT email FROM users WHERE id = $1 FOR UPDATE"
IS_ERASED = "SELECT EXISTS (SELECT 1 FROM person_erasures WHERE person_id = $1)"
DELETE_MAIL = "DELETE FROM mail_outbox WHERE lower(recipient) = $1"
DELETE_THROTTLE = "DELETE FROM login_failures WHERE key = 'account:' || $1"
DELETE_RESETS = "DELETE FROM password_resets WHERE user_id = $1"
# '!' is no argon2 hash: nothing can log in as the erased account.
MARK_ERASED = """
UPDATE users SET email = $2, display_name = $3, password_hash = '!', disabled = true
WHERE id = $1
"""


class UnknownPersonError(LookupError):
    """Raised when asked to erase a person the platform has never known."""

    def __init__(self, person_id: UUID) -> None:
        super().__init__(f"no person {person_id}: no account, no key, no earlier erasure")
        self.person_id = person_id


@dataclass(frozen=True, kw_only=True)
class Erasure:
    """What the erasure found and did."""

    person_id: UUID
    key_destroyed: bool
    account_erased: bool
    already_erased: bool


def erased_email(person_id: UUID) -> str:
    """The marker that replaces an erased account's e-mail (unique, never deliverable)."""
    return f"erased-{person_id}@erased.invalid"


async def erase_person(pool: asyncpg.Pool, person_id: UUID) -> Erasure:
    """Erase ``person_id`` everywhere it is held in clear; idempotent."""
    async with pool.acquire() as conn, conn.transaction():
        already = await conn.fetchval(IS_ERASED, person_id)
        email = await conn.fetchval(SELECT_USER, person_id)
        key_destroyed = await privacy.erase(conn, person_id)
        if email is None and not key_destroyed and not already:
            raise UnknownPersonError(person_id)
        if email is not None:
            await _erase_account(conn, person_id, email)
        await drafts.erase_drafts(conn, person_id)
        await documents.erase_documents(conn, person_id)
    return Erasure(
        person_id=person_id,
        key_destroyed=key_destroyed,
        account_erased=email is not None,
        already_erased=bool(already),
    )


async def _erase_account(conn: asyncpg.Connection, person_id: UUID, email: str) -> None:
    await sessions.end_all_for_user(conn, person_id)
    await conn.execute(DELETE_RESETS, person_id)
    await conn.execute(DELETE_MAIL, email)
    await conn.execute(DELETE_THROTTLE, email)
    await conn.execute(MARK_ERASED, person_id, erased_email(person_id), ERASED_NAME)


@dataclass(frozen=True, kw_only=True)
class Person:
    """What an officer sees before confirming an erasure."""

    person_id: UUID
    display_name: str | None
    email: str | None
    role: str | None
    has_key: bool
    erased: bool


DESCRIBE = """
SELECT u.display_name, u.email, u.role,
       EXISTS (SELECT 1 FROM person_keys WHERE person_id = $1) AS has_key,
       EXISTS (SELECT 1 FROM person_erasures WHERE person_id = $1) AS erased
FROM (SELECT 1) AS one LEFT JOIN users u ON u.id = $1
"""


async def describe_person(pool: asyncpg.Pool, person_id: UUID) -> Person | None:
    """The person's account and key, or None when the platform never knew them."""
    row = await pool.fetchrow(DESCRIBE, person_id)
    if row["email"] is None and not row["has_key"] and not row["erased"]:
        return None
    return Person(person_id=person_id, **dict(row))
