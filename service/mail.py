"""Outgoing e-mail: written to ``mail_outbox`` first, then handed to a pluggable sender."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import asyncpg

logger = logging.getLogger(__name__)

INSERT_MAIL = "INSERT INTO mail_outbox (recipient, subject, body) VALUES ($1, $2, $3) RETURNING id"
MARK_SENT = "UPDATE mail_outbox SET sent_at = now() WHERE id = $1"
SELECT_RECENT = """
SELECT id, recipient, subject, body, created_at, sent_at FROM mail_outbox ORDER BY id DESC LIMIT $1
"""


@dataclass(frozen=True, kw_only=True)
class Message:
    """One e-mail; ``secret`` is the part of the body (a token) that must never be logged."""

    recipient: str
    subject: str
    body: str
    secret: str | None = None


@dataclass(frozen=True, kw_only=True)
class OutboxEntry:
    """A row of the outbox, for the development mail viewer."""

    id: int
    recipient: str
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None


@runtime_checkable
class MailSender(Protocol):
    """Delivers one message (SMTP, an HTTP API, the log ...)."""

    async def send(self, message: Message, *, outbox_id: int) -> None:
        """Deliver ``message``; raise to leave it unsent in the outbox."""


class LogSender:
    """Notes each message in the log without its recipient or body (personal data, tokens).

    The whole message stays in ``mail_outbox`` (the development viewer at /dev/mail reads it);
    logs travel further than the database and are kept longer."""

    def __init__(self, *, redact: bool = True) -> None:
        self.redact = redact  # kept for callers; recipient and body are withheld either way

    async def send(self, message: Message, *, outbox_id: int) -> None:
        """Log that the message was written to the outbox."""
        logger.info(
            "mail %d %r (recipient and body withheld; see the outbox)", outbox_id, message.subject
        )


class OutboxWorkerSender:
    """With ``GRANTS_SMTP_URL`` set: leave each message in the outbox for the SMTP worker."""

    async def send(self, message: Message, *, outbox_id: int) -> None:
        """Nothing to do here: the worker leases and delivers the row."""


async def send(pool: asyncpg.Pool, sender: MailSender, message: Message) -> int:
    """Record ``message`` in the outbox, deliver it, and mark it sent; its outbox id."""
    outbox_id: int = await pool.fetchval(
        INSERT_MAIL, message.recipient, message.subject, message.body
    )
    if isinstance(sender, OutboxWorkerSender):
        return outbox_id  # the SMTP worker (service/mail_delivery.py) delivers it
    try:
        await sender.send(message, outbox_id=outbox_id)
    except Exception:
        logger.exception("mail %d could not be sent; it stays in the outbox", outbox_id)
        return outbox_id
    await pool.execute(MARK_SENT, outbox_id)
    return outbox_id


async def recent(pool: asyncpg.Pool, limit: int = 50) -> list[OutboxEntry]:
    """The latest messages, newest first."""
    return [OutboxEntry(**dict(row)) for row in await pool.fetch(SELECT_RECENT, limit)]
