"""E-mail notifications: follow the event log and write the mails each event calls for.

A page of events and the mails it produces go into ``mail_outbox`` in the same transaction as
the notifier's position (``mail_notifier``, locked ``FOR UPDATE``): a page is mailed exactly once,
even with a notifier in every web replica. Delivery is the SMTP worker's business
(:mod:`service.mail_delivery`). What a mail says, and in which language, is decided by the
``compose`` callback the web layer hands in (it owns the catalogs and templates).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from service.mail import INSERT_MAIL, Message
from service.repository import new_mapper
from service.store import Position

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from datetime import date
    from uuid import UUID

    import asyncpg

    from service.store import EventStore

logger = logging.getLogger(__name__)

SELECT_POSITION = "SELECT tx_id, notification_id FROM mail_notifier WHERE id = 1"
LOCK_POSITION = "SELECT tx_id, notification_id FROM mail_notifier WHERE id = 1 FOR UPDATE"
ADVANCE = (
    "UPDATE mail_notifier SET tx_id = $1, notification_id = $2, updated_at = now() WHERE id = 1"
)
SELECT_RECIPIENT = """
SELECT email, language, role FROM users WHERE id = $1 AND NOT disabled
"""
CLAIM_DIGEST = """
INSERT INTO mail_digests (user_id, day) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING user_id
"""
SET_LANGUAGE = "UPDATE users SET language = $2 WHERE id = $1 AND language <> $2"
SELECT_STAFF = (
    "SELECT id, email, language, role FROM users WHERE role <> 'investor' AND NOT disabled"
)
#: The application events a mail may follow.
TOPICS = tuple(
    "grants.application:" + name
    for name in (
        "Submitted", "InformationRequested", "Funded", "Rejected", "ScreenedOut",
        "AgreementSigned", "TrancheDisbursed", "ReviewerAssigned",
    )
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """Who a mail goes to, and the language they read."""

    user_id: UUID
    email: str
    language: str
    role: str


class Composer(Protocol):
    """Turns an event into the mails it calls for (none, usually one)."""

    async def __call__(
        self, event: Any, recipient_of: Any
    ) -> list[Message]:  # pragma: no cover - a protocol
        """The mails for ``event``; ``recipient_of(user_id)`` looks a person up."""


async def recipient(conn: asyncpg.Connection | asyncpg.Pool, user_id: UUID) -> Recipient | None:
    """A person mails may go to (None once disabled or erased)."""
    row = await conn.fetchrow(SELECT_RECIPIENT, user_id)
    if row is None:
        return None
    return Recipient(
        user_id=user_id, email=row["email"], language=row["language"], role=row["role"]
    )


async def set_language(pool: asyncpg.Pool, user_id: UUID, language: str) -> None:
    """Remember the language a person chose on the site: their mails follow it."""
    await pool.execute(SET_LANGUAGE, user_id, language)


async def step(
    pool: asyncpg.Pool, store: EventStore, compose: Composer, *, limit: int = 200
) -> int:
    """Mail one page of events; returns how many events it read (0: nothing new)."""
    row = await pool.fetchrow(SELECT_POSITION)
    after = Position(int(row[0]), int(row[1]))
    # The head first: every event up to it has committed, so the page below sees all of them.
    head = await store.max_notification_id()
    page = await store.select_notifications(after, limit, topics=TOPICS)
    if not page:
        # Skip over events no mail follows, so the position keeps up with the log.
        if head is not None and head > after:
            await _advance(pool, after, head)
        return 0
    mapper = new_mapper()
    async with pool.acquire() as conn, conn.transaction():
        locked = await conn.fetchrow(LOCK_POSITION)
        if Position(int(locked[0]), int(locked[1])) != after:
            return 0  # another notifier mailed this page
        for notification in page:
            event = mapper.to_domain_event(notification)
            for message in await compose(event, lambda uid: recipient(conn, uid)):
                await conn.execute(INSERT_MAIL, message.recipient, message.subject, message.body)
        end = page[-1].position
        await conn.execute(ADVANCE, end.tx_id, end.notification_id)
    return len(page)


async def skip_to_head(pool: asyncpg.Pool, store: EventStore) -> None:
    """Mail nothing about what is already in the log (a demo's history, say)."""
    head = await store.max_notification_id()
    if head is not None:
        await pool.execute(ADVANCE, head.tx_id, head.notification_id)


#: The last event of the log, fence or no fence: only for a holder of the position's lock whose
#: own transaction keeps the fence below everything appended meanwhile (``silenced``).
SELECT_LAST = """
SELECT tx_id, notification_id FROM events ORDER BY tx_id DESC, notification_id DESC LIMIT 1
"""


@contextlib.asynccontextmanager
async def silenced(pool: asyncpg.Pool) -> AsyncIterator[None]:
    """Mail nothing about what is appended inside the block (a demo's history), even while a
    notifier runs (``grants serve --demo-while-serving``): the position stays locked for the
    whole block and moves past the last event as it ends, in the same transaction.

    The row lock gives the holding transaction an id, so every reader's fence stays below it
    until the block ends: readers (the notifier, the projections) see what was appended inside
    all at once, when it has all landed. A block cut short rolls back and releases the lock."""
    async with pool.acquire() as conn, conn.transaction():
        # The block's work runs on other connections: this one waits idle in its transaction.
        await conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
        await conn.fetchrow(LOCK_POSITION)
        yield
        last = await conn.fetchrow(SELECT_LAST)
        if last is not None:
            await conn.execute(ADVANCE, last[0], last[1])


async def _advance(pool: asyncpg.Pool, after: Position, head: Position) -> None:
    async with pool.acquire() as conn, conn.transaction():
        locked = await conn.fetchrow(LOCK_POSITION)
        if Position(int(locked[0]), int(locked[1])) == after:
            await conn.execute(ADVANCE, head.tx_id, head.notification_id)


async def send_digests(pool: asyncpg.Pool, day: date, compose: Any) -> int:
    """Each staff member's digest of files waiting for them, once per ``day``; how many sent."""
    sent = 0
    for row in await pool.fetch(SELECT_STAFF):
        person = Recipient(user_id=row["id"], email=row["email"], language=row["language"],
                           role=row["role"])  # fmt: skip
        message = await compose(person)
        if message is None:
            continue
        async with pool.acquire() as conn, conn.transaction():
            if await conn.fetchval(CLAIM_DIGEST, person.user_id, day) is None:
                continue  # already sent today (by this or another replica)
            await conn.execute(INSERT_MAIL, message.recipient, message.subject, message.body)
        sent += 1
    return sent


async def run(
    pool: asyncpg.Pool,
    store: EventStore,
    compose: Composer,
    stop: asyncio.Event,
    *,
    digest: Any = None,
    poll_s: float = 2.0,
) -> None:
    """Mail events as they come until ``stop``; ``digest()`` is called each round (daily mails)."""
    while not stop.is_set():
        try:
            count = await step(pool, store, compose)
            if digest is not None:
                await digest()
        except Exception:  # the notifier outlives a hiccup; its position makes it safe
            logger.exception("notifier round failed")
            count = 0
        if count:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll_s)
