"""The outbox delivered over SMTP to a real server (aiosmtpd) started by the test."""

from __future__ import annotations

import asyncio
import socket
from email import message_from_bytes, policy
from typing import TYPE_CHECKING, Any

import pytest
from aiosmtpd.controller import Controller

from service import mail, mail_delivery
from service.mail import Message, OutboxWorkerSender
from service.mail_delivery import MAX_ATTEMPTS, SmtpServer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from email.message import EmailMessage

    import asyncpg


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def server_at(port: int) -> SmtpServer:
    return SmtpServer.from_url(f"smtp://127.0.0.1:{port}?tls=none", "programme@draa-tafilalet.ma")


async def test_the_worker_delivers_the_outbox_in_utf8(
    pool: asyncpg.Pool, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    body = "تم استلام طلبكم رقم 1234.\nVotre dossier a été reçu."
    subject = "Accusé de réception / قرار بشأن DT-2026-C0C6ED8A: تمت الموافقة على الدعم"
    await mail.send(pool, OutboxWorkerSender(), Message(
        recipient="amal@example.ma", subject=subject, body=body,
    ))  # fmt: skip
    assert await mail_delivery.deliver_due(pool, server_at(port)) == 1
    assert inbox.envelopes == [("programme@draa-tafilalet.ma", ["amal@example.ma"])]
    got = inbox.messages[0]
    assert got["Subject"] == subject  # word for word: no space lost in folding
    assert got.get_content().replace("\r\n", "\n").strip() == body
    row = await pool.fetchrow("SELECT sent_at, attempts FROM mail_outbox")
    assert row["sent_at"] is not None
    assert row["attempts"] == 1
    assert await mail_delivery.deliver_due(pool, server_at(port)) == 0  # sent once only


async def test_an_unreachable_server_is_retried_with_backoff_then_dead(pool: asyncpg.Pool) -> None:
    await mail.send(pool, OutboxWorkerSender(), Message(recipient="a@b.ma", subject="S", body="B"))
    closed = server_at(free_port())  # nothing listens there
    assert await mail_delivery.deliver_due(pool, closed) == 0
    row = await pool.fetchrow(
        "SELECT attempts, last_error, dead_at, next_attempt_at - now() AS wait FROM mail_outbox"
    )
    assert row["attempts"] == 1
    assert row["dead_at"] is None
    assert row["wait"].total_seconds() > 20  # backed off, not retried at once
    assert "a@b.ma" not in row["last_error"]
    for _ in range(MAX_ATTEMPTS - 1):
        await pool.execute("UPDATE mail_outbox SET next_attempt_at = now()")
        await mail_delivery.deliver_due(pool, closed)
    dead = await mail_delivery.dead_letters(pool)
    assert [d.subject for d in dead] == ["S"]
    assert (await mail_delivery.counts(pool))["dead"] == 1
    assert await mail_delivery.revive(pool, dead[0].id)
    assert (await mail_delivery.counts(pool))["waiting"] == 1


async def test_two_workers_never_send_one_message_twice(
    pool: asyncpg.Pool, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    for i in range(10):
        await mail.send(pool, OutboxWorkerSender(), Message(recipient=f"p{i}@x.ma", subject=str(i), body="b"))  # fmt: skip
    sent = await asyncio.gather(
        *(mail_delivery.deliver_due(pool, server_at(port), batch=3) for _ in range(6))
    )
    assert sum(sent) == 10
    assert sorted(int(m["Subject"]) for m in inbox.messages) == list(range(10))


@pytest.mark.parametrize(
    "subject",
    [
        "قرار بشأن DT-2026-C0C6ED8A: تمت الموافقة على الدعم",
        "Décision sur DT-2026-C0C6ED8A : financé, avec un objet assez long pour être replié",
    ],
)
def test_a_long_subject_arrives_word_for_word(subject: str) -> None:
    """Python's default folding drops a space between encoded words of an Arabic subject."""
    server = server_at(25)
    sent = mail_delivery.compose(server, recipient="a@b.ma", subject=subject, body="x")
    received = message_from_bytes(sent.as_bytes(), policy=policy.default)
    assert received["Subject"] == subject


def test_smtp_url_with_a_password_requires_tls() -> None:
    server = SmtpServer.from_url("smtp://user:p%40ss@mail.example.ma:587", "x@y.ma")
    assert (server.host, server.port, server.username, server.password) == (
        "mail.example.ma", 587, "user", "p@ss",
    )  # fmt: skip
    assert server.start_tls is True
    assert SmtpServer.from_url("smtps://mail.example.ma", "x@y.ma").use_tls is True
    with pytest.raises(ValueError, match="TLS"):
        SmtpServer.from_url("smtp://user:pw@host:25?tls=none", "x@y.ma")
