"""Delivering the outbox over SMTP: a worker with retries, backoff and a dead-letter state.

Rows of ``mail_outbox`` are leased (``next_attempt_at`` pushed ahead, ``attempts`` counted) by
one ``UPDATE ... FOR UPDATE SKIP LOCKED``, so several workers (one per web replica) never send a
message twice at once, and no transaction stays open while the SMTP server answers. A failure
schedules the next attempt after an exponential backoff; after :data:`MAX_ATTEMPTS` the message
is dead and shown to officers (``/admin/mail``). ``last_error`` keeps the error's class and SMTP
code only: a server's text may quote the recipient's address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

if TYPE_CHECKING:
    import asyncpg

logger = logging.getLogger(__name__)

SMTP_POLICY: Final = policy.SMTP.clone(max_line_length=998)
MAX_ATTEMPTS: Final = 6
BACKOFF_S: Final = 30
LEASE_S: Final = 300
LEASE = """
UPDATE mail_outbox SET attempts = attempts + 1,
    next_attempt_at = now() + make_interval(secs => $2)
WHERE id IN (
    SELECT id FROM mail_outbox
    WHERE sent_at IS NULL AND dead_at IS NULL AND next_attempt_at <= now()
    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
)
RETURNING id, recipient, subject, body, attempts
"""
SENT = "UPDATE mail_outbox SET sent_at = now(), last_error = NULL WHERE id = $1"
RETRY = """
UPDATE mail_outbox SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3)
WHERE id = $1
"""
DEAD = "UPDATE mail_outbox SET last_error = $2, dead_at = now() WHERE id = $1"
REVIVE = """
UPDATE mail_outbox SET dead_at = NULL, attempts = 0, next_attempt_at = now()
WHERE id = $1 AND dead_at IS NOT NULL
"""
COUNTS = """
SELECT count(*) FILTER (WHERE sent_at IS NULL AND dead_at IS NULL) AS waiting,
       count(*) FILTER (WHERE dead_at IS NOT NULL) AS dead,
       count(*) FILTER (WHERE sent_at IS NOT NULL) AS sent
FROM mail_outbox
"""
SELECT_DEAD = """
SELECT id, subject, created_at, attempts, last_error, dead_at FROM mail_outbox
WHERE dead_at IS NOT NULL ORDER BY dead_at DESC LIMIT $1
"""


@dataclass(frozen=True, kw_only=True)
class SmtpServer:
    """Where to deliver: parsed from ``GRANTS_SMTP_URL``.

    ``smtp://user:pass@host:587`` requires STARTTLS (credentials never travel in clear);
    ``smtps://host:465`` is TLS from the first byte; ``smtp://host:25?tls=none`` is plain (a
    relay on the same host, or a test server). ``?from=`` sets the sender address.
    """

    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool
    sender: str

    @classmethod
    def from_url(cls, url: str, default_sender: str) -> SmtpServer:
        """Parse ``GRANTS_SMTP_URL``; raises ValueError on a URL that is not SMTP."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("GRANTS_SMTP_URL must look like smtp://user:pass@host:587")
        query = parse_qs(parts.query)
        implicit, plain = parts.scheme == "smtps", query.get("tls", [""])[0] == "none"
        user = unquote(parts.username) if parts.username else None
        if plain and user is not None:
            raise ValueError("GRANTS_SMTP_URL: a password is never sent without TLS (tls=none)")
        return cls(
            host=parts.hostname, port=parts.port or (465 if implicit else 587), username=user,
            password=unquote(parts.password) if parts.password else None, use_tls=implicit,
            start_tls=not (implicit or plain), sender=query.get("from", [default_sender])[0],
        )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class DeadLetter:
    """A message given up on, as an officer sees it (no recipient, no body)."""

    id: int
    subject: str
    created_at: datetime
    attempts: int
    last_error: str | None
    dead_at: datetime


def backoff_s(attempts: int) -> int:
    """Seconds before attempt ``attempts + 1``: 30 s, 1 min, 2 min, 4 min ... at most 1 h."""
    return int(min(BACKOFF_S * 2 ** max(attempts - 1, 0), 3_600))


def compose(server: SmtpServer, *, recipient: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message (Arabic, French and English alike).

    Headers are folded only past 998 characters (RFC 5322's limit): Python's folding of a long
    non-ASCII subject into several encoded words drops a space between two Arabic words.
    """
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = server.sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = make_msgid(domain=server.sender.rpartition("@")[2] or "localhost")
    message.set_content(body, charset="utf-8")
    return message


def describe(error: BaseException) -> str:
    """What may be kept about a failure: the class and the SMTP code, never the server's text."""
    code = getattr(error, "code", None)
    return f"{type(error).__name__}" + (f" {code}" if isinstance(code, int) else "")


async def deliver_due(pool: asyncpg.Pool, server: SmtpServer, *, batch: int = 20) -> int:
    """Send what is due once; returns how many messages were delivered."""
    rows = sorted(await pool.fetch(LEASE, batch, LEASE_S), key=lambda r: r["id"])  # in order
    delivered = 0
    for row in rows:
        message = compose(server, recipient=row["recipient"], subject=row["subject"],
                          body=row["body"])  # fmt: skip
        try:
            # Sent as bytes flattened here: aiosmtplib would flatten with the default policy.
            await aiosmtplib.send(
                message.as_bytes(), sender=server.sender, recipients=[row["recipient"]],
                hostname=server.host, port=server.port, username=server.username,
                password=server.password, use_tls=server.use_tls, start_tls=server.start_tls,
                timeout=30,
            )  # fmt: skip
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            await _failed(pool, row["id"], row["attempts"], describe(error))
            continue
        await pool.execute(SENT, row["id"])
        delivered += 1
        logger.info("mail %d delivered", row["id"])
    return delivered


async def _failed(pool: asyncpg.Pool, outbox_id: int, attempts: int, error: str) -> None:
    if attempts >= MAX_ATTEMPTS:
        await pool.execute(DEAD, outbox_id, error)
        logger.warning("mail %d dead after %d attempts: %s", outbox_id, attempts, error)
    else:
        await pool.execute(RETRY, outbox_id, error, backoff_s(attempts))
        logger.info("mail %d attempt %d failed (%s); retrying", outbox_id, attempts, error)


async def run(
    pool: asyncpg.Pool, server: SmtpServer, stop: asyncio.Event, *, poll_s: float = 2.0
) -> None:
    """Deliver until ``stop`` is set, polling every ``poll_s`` (a busy outbox is drained first)."""
    while not stop.is_set():
        try:
            sent = await deliver_due(pool, server)
        except Exception:  # the worker outlives a database hiccup; the lease makes it safe
            logger.exception("mail delivery round failed")
            sent = 0
        if sent:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll_s)


async def counts(pool: asyncpg.Pool) -> dict[str, int]:
    """Messages waiting, dead and sent."""
    return dict(await pool.fetchrow(COUNTS))


async def dead_letters(pool: asyncpg.Pool, limit: int = 50) -> list[DeadLetter]:
    """The latest dead letters, for officers."""
    return [DeadLetter(**dict(r)) for r in await pool.fetch(SELECT_DEAD, limit)]


async def revive(pool: asyncpg.Pool, outbox_id: int) -> bool:
    """Give a dead letter a fresh set of attempts; False when it was not dead."""
    status: str = await pool.execute(REVIVE, outbox_id)
    return status.endswith(" 1")
