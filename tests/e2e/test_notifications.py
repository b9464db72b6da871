"""E-mail notifications end to end: events -> the outbox in each recipient's language -> a real
SMTP server (aiosmtpd) -> what arrived."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from service import mail, mail_delivery, notifier
from service.mail import Message, OutboxWorkerSender
from tests.e2e.api_support import CHAIR, INVESTOR, OFFICER, REVIEWER1, Api, open_programme, people
from tests.e2e.conftest import csrf_of, log_in, make_user
from tests.e2e.test_api import assign_and_review, submit
from tests.integration.service.support import GOOD
from tests.integration.test_mail_delivery import Inbox, server_at, smtp  # noqa: F401 (fixture)
from web.common.notifications import MailComposer

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore


@pytest.fixture
async def world(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> dict[str, Any]:
    users = await people(db)
    api = Api(client)
    return {"api": api, "users": users, **await open_programme(api, db, store)}


async def mail_everything(pool: asyncpg.Pool, store: EventStore, app: Litestar) -> None:
    composer = MailComposer(store, app.state.catalogs, "https://grants.example.ma")
    while await notifier.step(pool, store, composer):
        pass


def bodies_to(inbox: Inbox, email: str) -> list[tuple[str, str]]:
    return [
        (str(m["Subject"]), m.get_content().replace("\r\n", "\n"))
        for m, (_, to) in zip(inbox.messages, inbox.envelopes, strict=True)
        if to == [email]
    ]


async def test_investor_and_reviewer_get_their_mails_in_their_language(
    world: dict[str, Any], db: asyncpg.Pool, store: EventStore, app: Litestar,
    smtp: tuple[Inbox, int],  # noqa: F811
) -> None:  # fmt: skip
    inbox, port = smtp
    api: Api = world["api"]
    await notifier.set_language(db, world["users"][INVESTOR].id, "fr")
    await notifier.set_language(db, world["users"][REVIEWER1].id, "en")
    app_id = await submit(api, world)
    await api.sign_in(OFFICER)
    await api.post(f"/applications/{app_id}/information-request", {"question": "Vos devis ?"})
    await api.sign_in(INVESTOR)
    await api.post(f"/applications/{app_id}/information-reply", {"message": "Les voici."})
    await assign_and_review(api, world, app_id, GOOD, db, store)
    await api.sign_in(CHAIR)
    funded = await api.post(
        f"/applications/{app_id}/funding", {"amount_centimes": 2_000_000_00, "note": "ok"}
    )
    assert funded.status_code == 200, funded.text

    await mail_everything(db, store, app)
    await mail_everything(db, store, app)  # a second pass mails nothing twice
    while await mail_delivery.deliver_due(db, server_at(port)):
        pass

    reference = f"DT-{datetime.now(UTC).year}-{app_id.replace('-', '')[:8].upper()}"
    investor = bodies_to(inbox, INVESTOR)
    subjects = [s for s, _ in investor]
    assert subjects == [
        f"Dossier reçu : {reference}",
        f"Le comité a une question sur {reference}",
        f"Décision sur {reference} : financé",
    ], subjects
    receipt, question, decision = (b for _, b in investor)
    assert "Centre d'appels" in receipt or "2\u202f500\u202f000,00" in receipt
    assert "Vos devis ?" in question
    assert "2\u202f000\u202f000,00" in decision
    assert f"https://grants.example.ma/my/files/{app_id}" in decision
    for _, body in investor:
        assert "salma" not in body.lower()  # the contact person's data never travels by mail
        assert "reviewer" not in body.lower()
    [(subject, body)] = bodies_to(inbox, REVIEWER1)
    assert subject == f"A file was assigned to you: {reference}"
    assert f"https://grants.example.ma/committee/files/{app_id}" in body
    assert "salma" not in body.lower()


async def test_the_daily_digest_goes_once_to_staff_with_files_waiting(
    world: dict[str, Any], db: asyncpg.Pool, store: EventStore, app: Litestar
) -> None:
    from tests.e2e.api_support import catch_up

    await submit(world["api"], world)
    await catch_up(db, store)
    composer = MailComposer(store, app.state.catalogs, "https://grants.example.ma")
    day = datetime.now(UTC).date()
    assert await notifier.send_digests(db, day, composer.digest(db)) == 1  # the officer only
    assert await notifier.send_digests(db, day, composer.digest(db)) == 0
    [row] = await db.fetch("SELECT recipient, body FROM mail_outbox")
    assert row["recipient"] == OFFICER
    assert "1" in row["body"]


async def test_officers_see_dead_letters_without_recipient_and_retry_them(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    officer = await make_user(db, "officer@region.ma", "officer")
    await log_in(client, officer.email)
    await mail.send(db, OutboxWorkerSender(), Message(recipient="amal@example.ma", subject="Reçu", body="Texte privé"))  # fmt: skip
    await db.execute(
        "UPDATE mail_outbox SET dead_at = now(), attempts = 6, last_error = 'SMTPRecipientsRefused 550'"
    )
    page = await client.get("/admin/mail")
    assert page.status_code == 200
    assert "Reçu" in page.text
    assert "SMTPRecipientsRefused 550" in page.text
    assert "amal@example.ma" not in page.text
    assert "Texte privé" not in page.text
    outbox_id = await db.fetchval("SELECT id FROM mail_outbox")
    retried = await client.post(f"/admin/mail/{outbox_id}/retry", data={"_csrf": csrf_of(page)})
    assert retried.status_code == 303
    assert (await mail_delivery.counts(db))["waiting"] == 1
