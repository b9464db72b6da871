"""Public title and summary (issues 14 and 18): shown on the grant's public page, in ledger.json and
in the 360Giving export only when the investor approved them at submission, the title in the
page's language or else the original marked with its ``lang``; otherwise a neutral title."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import pytest

from domain.publication import Publication
from projections import public_texts
from tests.e2e.public_support import MAD, catch_up_all, programme, reviewed
from tests.integration.projections.test_open_data import validator
from tests.unit.domain.builders import CHAIR

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore

TITLES = {"ar": "محطة شمسية للضخ الفلاحي في سكورة", "fr": "Centrale solaire à Skoura"}
SUMMARY = "Pompage solaire pour 40 exploitations agricoles ; 12 emplois."
APPROVED = Publication(approved=True, title=TITLES["fr"], summary=SUMMARY, language="fr",
                       titles={"ar": TITLES["ar"]})  # fmt: skip
#: Typed by an investor who then did not tick the approval: must never be published.
NOT_APPROVED = Publication(approved=False, title="Projet secret de M. Alaoui", summary="Privé")


@pytest.fixture
async def grants(db: asyncpg.Pool, store: EventStore) -> tuple[UUID, UUID]:
    funded = await programme(db, store)
    w = funded.world
    approved = await reviewed(w, 5, company_name="Skoura Solaire SARL", province="ouarzazate",
                              commune="skoura", sector="renewable_energy",
                              publication=APPROVED)  # fmt: skip
    generic = await reviewed(w, 6, company_name="Discret SARL", sector="tourism",
                             province="errachidia", commune="errachidia",
                             publication=NOT_APPROVED)  # fmt: skip
    for app_id in (approved, generic):
        app, envelope = w.apps[app_id], w.envelope
        assert envelope is not None
        when = w.now()
        app.fund(CHAIR, 100_000 * MAD, "", when, threshold_hundredths=0)
        envelope.reserve(app_id, 100_000 * MAD, when)
        await w.repo.save(app, envelope)
    await catch_up_all(db, store)
    return approved, generic


async def test_the_grant_page_shows_the_approved_title_in_the_page_language_or_the_original(
    client: AsyncTestClient[Litestar], grants: tuple[UUID, UUID]
) -> None:
    approved, generic = grants
    shown = {}
    for lang in ("ar", "fr", "en"):
        page = await client.get(f"/ledger/grants/{approved}?lang={lang}")
        assert page.status_code == 200
        part = page.text.split('data-public-title="approved"')[1].split("</section>")[0]
        shown[lang] = part
        assert SUMMARY in part
    assert TITLES["ar"] in shown["ar"]
    assert 'lang="' not in shown["ar"].split("</bdi>")[0]  # in the page's own language
    assert TITLES["fr"] in shown["fr"]
    assert TITLES["fr"] in shown["en"]  # no English title: the original, marked as French
    assert f'lang="fr" dir="auto">{TITLES["fr"]}' in shown["en"]
    assert "Not yet translated: shown in Français." in shown["en"]
    neutral = await client.get(f"/ledger/grants/{generic}?lang=fr")
    part = neutral.text.split('data-public-title="generic"')[1].split("</section>")[0]
    assert "Tourisme — Errachidia" in part
    assert "Alaoui" not in neutral.text
    assert "Privé" not in neutral.text


async def test_exports_carry_approved_texts_only_and_the_360giving_file_stays_valid(
    client: AsyncTestClient[Litestar], grants: tuple[UUID, UUID]
) -> None:
    approved, generic = grants
    giving = (await client.get("/open-data/360giving.json")).json()
    assert [e.message for e in validator().iter_errors(giving)] == []
    by_id = {g["id"][-36:]: g for g in giving["grants"]}
    assert (by_id[str(approved)]["title"], by_id[str(approved)]["description"]) == (
        TITLES["fr"], SUMMARY)  # fmt: skip
    assert by_id[str(generic)]["title"] == "Tourisme — Errachidia"
    rows = list(csv.DictReader(io.StringIO((await client.get("/open-data/360giving.csv")).text
                                           .removeprefix("\ufeff"))))  # fmt: skip
    assert {r["Title"] for r in rows if r["Identifier"].endswith(str(approved))} == {TITLES["fr"]}
    document = (await client.get("/open-data/ledger.json")).json()
    titles = {g["application_id"]: g for g in document["grants"]}
    assert titles[str(approved)]["approved"] is True
    assert titles[str(approved)]["titles"] == TITLES
    assert titles[str(approved)]["summary"] == SUMMARY
    assert titles[str(generic)] == {"application_id": str(generic), "approved": False,
                                    "title": "Tourisme — Errachidia", "titles": {},
                                    "summary": ""}  # fmt: skip
    for path in ("/open-data/360giving.json", "/open-data/ledger.json", "/ledger"):
        assert "Alaoui" not in (await client.get(path)).text


async def test_files_submitted_before_the_approval_existed_read_as_not_approved(
    db: asyncpg.Pool, grants: tuple[UUID, UUID]
) -> None:
    approved, _ = grants
    found = await public_texts.of(db, [approved])
    assert set(found) == {approved}  # the programme's older files, built without it: absent
    assert len(await db.fetch("SELECT 1 FROM public_texts")) == 1
