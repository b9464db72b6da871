"""No public page or export carries personal data: the demo programme, every public page (each
grant's too) and every export, scanned for e-mail addresses, phone numbers, national ids (CIN),
contact names and sole traders' trade names."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from uuid import UUID

from domain.applications import GrantApplication
from domain.reference import SOLE_TRADER
from projections.registry import ensure_all
from service import personal_data, privacy
from service.demo import load_demo
from service.repository import Repository
from service.settings import Settings
from tests.e2e.public_support import catch_up_all

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore

PEOPLE = [UUID(int=i) for i in range(1, 40)]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?:\+212|\b0)[5-7]\d{8}\b")
CIN = re.compile(r"\b[A-Z]{1,2}\d{5,6}\b")
SUBMITTED = "SELECT DISTINCT originator_id FROM events WHERE topic = 'grants.application:Submitted'"


async def personal_strings(pool: asyncpg.Pool, store: EventStore) -> set[str]:
    """Every contact's name, e-mail, phone and CIN, and every sole trader's trade name."""
    repo, found = Repository(store), set()
    for row in await pool.fetch(SUBMITTED):
        app = await repo.get(row[0], cls=GrantApplication)
        contact = await privacy.decrypt_for(pool, app.person_id, app.contact)
        found |= {contact[k] for k in ("name", "email", "phone", "national_id")}
        if app.applicant_kind == SOLE_TRADER:  # sealed with the person's key: opened here
            identity = await personal_data.identity(pool, app)
            assert identity is not None
            found |= {value for value in identity.values() if value}
    return found


async def public_documents(client: AsyncTestClient[Litestar]) -> dict[str, str]:
    """Every public page in each language, every ledger page and grant page, every export."""
    docs = {}
    for lang in ("ar", "fr", "en"):
        for path in ("/", "/statistics", "/verify", "/verify?check=1", "/privacy", "/calls"):
            docs[f"{path} {lang}"] = (await client.get(path, params={"lang": lang})).text
    path: str | None = "/ledger?lang=ar"
    while path:
        page = (await client.get(path)).text
        docs[path] = page
        older = re.search(r'rel="next" href="([^"]+)"', page)
        path = older[1].replace("&amp;", "&") if older else None
    grants = {g for page in list(docs.values()) for g in re.findall(r"/ledger/grants/[0-9a-f-]{36}", page)}  # fmt: skip
    for grant in sorted(grants):
        docs[grant] = (await client.get(grant, params={"lang": "fr"})).text
    for export in ("360giving.json", "360giving.csv", "ledger.json"):
        docs[export] = (await client.get(f"/open-data/{export}")).text
    return docs


async def test_no_public_page_or_export_holds_personal_data(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    await ensure_all(db)
    await load_demo(store, db, investors=PEOPLE[:20], reviewers=PEOPLE[20:26], chair=PEOPLE[30],
                    officer=PEOPLE[31], applications=80)  # fmt: skip
    await catch_up_all(db, store)
    personal = await personal_strings(db, store)
    scanned = " ".join(sorted(personal))
    assert len(EMAIL.findall(scanned)) > 10, "the patterns find the demo's own contacts"
    assert len(PHONE.findall(scanned)) > 10
    assert len(CIN.findall(scanned)) > 10
    docs = await public_documents(client)
    grant_pages = [name for name in docs if name.startswith("/ledger/grants/")]
    assert len(grant_pages) > 10, "the scan reached the grants' own pages"
    assert any("Individual" in d or "مقاول ذاتي" in d for d in docs.values()), "sole traders shown"
    office = Settings.contact_email  # the programme's own contact, in every footer, is no person's
    for name, text in docs.items():
        assert [e for e in EMAIL.findall(text) if e != office] == [], name
        assert PHONE.findall(text) == [], name
        assert CIN.findall(text) == [], name
        assert sorted(s for s in personal if s in text) == [], name
