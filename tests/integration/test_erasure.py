"""Erasing a person (law 09-08): afterwards a full pg_dump holds none of their personal data,
every projection rebuilds, the ledger still verifies, and the CLI reports errors in one line."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from domain.applications import GrantApplication
from projections import registry
from projections.audit import audit
from service import accounts, drafts, mail, privacy, sessions
from service.demo import load_demo
from service.erasure import UnknownPersonError, erase_person
from service.mail import LogSender, Message
from service.passwords import Passwords
from service.repository import Repository
from tests.e2e.public_support import catch_up_all
from tests.integration.pgdump import dump, pg_dump_binary
from web.cli import main as cli

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore

PEOPLE = [UUID(int=i) for i in range(1, 30)]
INVESTORS, REVIEWERS, CHAIR, OFFICER = PEOPLE[:6], PEOPLE[10:14], PEOPLE[20], PEOPLE[21]
EMAIL, NAME = "amal.testinvestor@exemple.ma", "Amal Testinvestor"
SUBMITTED = "SELECT DISTINCT originator_id FROM events WHERE topic = 'grants.application:Submitted'"


async def applications_of(store: EventStore, pool: asyncpg.Pool, investor: UUID) -> list[GrantApplication]:  # fmt: skip
    repo = Repository(store)
    apps = [await repo.get(r[0], cls=GrantApplication) for r in await pool.fetch(SUBMITTED)]
    return [a for a in apps if a.investor_id == investor]


async def account_with_traces(pool: asyncpg.Pool) -> accounts.User:
    """The investor's account, a session, a reset token, a mail, a failed log-in and a draft."""
    user = await accounts.create_user(
        pool=pool, passwords=Passwords(), email=EMAIL, display_name=NAME, role="investor",
        password="a long enough secret",
    )  # fmt: skip
    await sessions.create(pool, {"uid": str(user.id), "csrf": "x"}, user.id)
    await accounts.request_password_reset(pool=pool, email=EMAIL)
    body = f"Bonjour {NAME}, votre dossier a été reçu."
    await mail.send(
        pool, LogSender(redact=True), Message(recipient=EMAIL, subject="Dossier reçu", body=body)
    )
    await pool.execute("INSERT INTO login_failures (key, failures) VALUES ($1, 1)", f"account:{EMAIL}")  # fmt: skip
    await drafts.save_draft(pool, investor_id=user.id, values={"contact_name": NAME, "contact_email": EMAIL})  # fmt: skip
    return user


async def test_after_erasure_no_dump_holds_the_person_and_the_ledger_verifies(
    pool: asyncpg.Pool, store: EventStore, database_url: str
) -> None:
    binary = await pg_dump_binary(pool)
    if binary is None:
        pytest.skip("no pg_dump matching the server's version")
    await registry.ensure_all(pool)
    user = await account_with_traces(pool)
    investors = [user.id, *INVESTORS[1:]]
    await load_demo(store, pool, investors=investors, reviewers=REVIEWERS, chair=CHAIR,
                    officer=OFFICER, applications=30)  # fmt: skip
    await catch_up_all(pool, store)
    apps = await applications_of(store, pool, user.id)
    assert apps, "the demo gave the investor at least one file"
    contacts = [await privacy.decrypt_for(pool, a.person_id, a.contact) for a in apps]
    personal = {EMAIL, NAME} | {c[k] for c in contacts for k in ("name", "email", "phone", "national_id")}  # fmt: skip
    before = dump(binary, database_url)
    assert EMAIL in before
    assert NAME in before, "the scan can see plaintext"
    head_before = await pool.fetchval("SELECT entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1")  # fmt: skip

    done = await erase_person(pool, user.id)

    assert done.key_destroyed
    assert done.account_erased
    after = dump(binary, database_url)
    assert sorted(s for s in personal if s in after) == []
    with pytest.raises(privacy.PersonErasedError):
        await privacy.decrypt_for(pool, apps[0].person_id, apps[0].contact)
    for projection in registry.select():
        await registry.rebuild(pool, store, projection.name)
    assert await audit(pool, store) is None
    head = await pool.fetchval("SELECT entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1")
    assert head == head_before, "amounts and decisions are untouched"
    assert (await erase_person(pool, user.id)).already_erased


async def test_erasing_an_unknown_person_is_refused(pool: asyncpg.Pool) -> None:
    with pytest.raises(UnknownPersonError):
        await erase_person(pool, UUID(int=12345))


def test_the_cli_erases_and_says_so_in_one_line(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: object,
) -> None:  # fmt: skip
    monkeypatch.setenv("GRANTS_DATABASE_URL", database_url)
    monkeypatch.setenv("GRANTS_DATA_DIR", str(tmp_path))
    assert cli.main(["privacy", "erase", "not-a-uuid"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "not a person id" in err
    assert cli.main(["privacy", "erase", str(UUID(int=999))]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no person" in err
    assert "Traceback" not in err
