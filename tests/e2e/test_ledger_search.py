"""The public ledger's search: accent- and case-insensitive, by organisation, place or sector in
any language, with the totals of whatever matches (committed and granted reconciled)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from projections.public_ledger import fold
from tests.e2e.public_support import MAD, catch_up_all, programme, reviewed

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore
    from tests.e2e.public_support import Programme

ROW = re.compile(r'href="/ledger/grants/([0-9a-f-]{36})')


@pytest.fixture
async def funded(db: asyncpg.Pool, store: EventStore) -> Programme:
    world = await programme(db, store)
    energy = await reviewed(world.world, 8, company_name="Énergie Solaire Drâa SARL",
                            sector="mining", province="midelt", commune="rich")  # fmt: skip
    await world.world.fund(energy, 300_000 * MAD)
    await catch_up_all(db, store)
    return world


async def found(client: AsyncTestClient[Litestar], query: str) -> set[str]:
    page = await client.get("/ledger", params={"q": query}, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    return set(ROW.findall(page.text))


def test_fold_removes_accents_and_case_and_arabic_short_vowels() -> None:
    assert fold("ÉNERGIE Drâa") == "energie draa"
    assert fold("الطَّاقَات") == "الطاقات"


async def test_search_ignores_accents_and_case(
    client: AsyncTestClient[Litestar], funded: Programme
) -> None:
    by_name = await found(client, "energie solaire")
    assert len(by_name) == 1
    assert by_name == await found(client, "ÉNERGIE SOLAIRE") == await found(client, "SOLAIRE DRÂA")
    # "energie" also names a sector: renewable energy ("Énergies renouvelables")
    assert str(funded.late) in await found(client, "energie")
    assert by_name <= await found(client, "energie")


async def test_search_finds_places_and_sectors_in_any_language(
    client: AsyncTestClient[Litestar], funded: Programme
) -> None:
    assert await found(client, "زاكورة") == {str(funded.sole)}  # the province, in Arabic
    assert await found(client, "Tamegroute") == set()  # a commune where nothing was funded
    rich = await found(client, "rich")  # the commune of Rich (Midelt)
    assert len(rich) == 1
    assert str(funded.tourism) in await found(client, "errachidia")
    assert str(funded.tourism) in await found(client, "tourisme")


async def test_totals_follow_the_filter_and_explain_a_cancellation(
    client: AsyncTestClient[Litestar], funded: Programme
) -> None:
    page = await client.get("/ledger", params={"q": "errachidia"},
                            headers={"Accept-Language": "en"})  # fmt: skip
    totals = page.text.split("data-view-totals")[1].split("</dl>")[0]
    figures = re.findall(r"<dd>([^<]+)</dd>", totals)
    assert figures == ["1,500,000.00\xa0MAD", "1,500,000.00\xa0MAD", "0.00\xa0MAD", "0.00\xa0MAD"]
    assert "gave back to the envelope" in page.text
    everything = await client.get("/ledger", headers={"Accept-Language": "en"})
    granted = everything.text.split("data-view-totals")[1].split("</dd>")[0]
    assert "5,600,000.00" in granted  # 2.0 + 1.0 + 1.5 + 0.8 + 0.3 M MAD granted in all
