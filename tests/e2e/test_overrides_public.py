"""Overrides in the open: a grant funded below the threshold is marked as such on its public page,
in /open-data/ledger.json, in the 360Giving export (a documented additional field, still valid)
and in the statistics; a rejection publishes nothing. The public grant page's figures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.public_support import MAD, SOLE_TRADER_NAME, catch_up_all, programme, reviewed
from tests.e2e.test_open_data_http import run_script
from tests.integration.projections.test_open_data import validator
from tests.unit.domain.builders import CHAIR

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore
    from tests.e2e.test_open_data_http import run_script
from tests.e2e.public_support import Programme

JUSTIFICATION = "Seul projet de la commune de Tagounite ; 40 emplois dans une zone sans emploi."
REJECTION = "Le gérant M. Karim Bennani n'a pas fourni le bilan."


@pytest.fixture
async def world(db: asyncpg.Pool, store: EventStore) -> tuple[Programme, UUID, UUID]:
    funded = await programme(db, store)
    w = funded.world
    low = await reviewed(w, 5, company_name="Tagounite Dattes SARL", province="zagora",
                         commune="tagounite", sector="agri_food",
                         total_investment_centimes=2_500_000 * MAD)  # fmt: skip
    rejected = await reviewed(w, 6, company_name="Refus SARL")
    app, envelope = w.apps[low], w.envelope
    assert envelope is not None
    when = w.now()
    app.fund(CHAIR, 375_000 * MAD, "", when, threshold_hundredths=9_500,
             override_justification=JUSTIFICATION)  # fmt: skip
    envelope.reserve(low, 375_000 * MAD, when)
    await w.repo.save(app, envelope)
    await w.do(rejected, "reject", CHAIR, REJECTION, w.now())
    await catch_up_all(db, store)
    return funded, low, rejected


async def test_an_override_is_marked_on_the_grant_page_with_its_justification(
    client: AsyncTestClient[Litestar], world: tuple[Programme, UUID, UUID]
) -> None:
    funded, low, _ = world
    page = await client.get(f"/ledger/grants/{low}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "data-override" in page.text
    assert "Funded by override" in page.text
    assert "Seul projet de la commune de Tagounite" in page.text
    assert "Tagounite" in page.text  # the commune
    assert "2,500,000.00" in page.text  # total investment
    assert "<bdi>15%</bdi>" in page.text  # 375,000 of 2,500,000, as CLDR writes it in English
    ordinary = await client.get(
        f"/ledger/grants/{funded.company}", headers={"Accept-Language": "en"}
    )
    assert "data-override" not in ordinary.text
    assert "Tranches paid" in ordinary.text
    assert "750,000.00" in ordinary.text  # two tranches: 500,000 + 250,000


async def test_a_cancelled_grant_is_explained_where_committed_and_funded_differ(
    client: AsyncTestClient[Litestar], world: tuple[Programme, UUID, UUID]
) -> None:
    funded, _, _ = world
    page = await client.get(f"/ledger/grants/{funded.tourism}", headers={"Accept-Language": "en"})
    assert "data-cancelled" in page.text
    assert "1,500,000.00" in page.text
    assert "went back to the envelope" in page.text


async def test_an_override_is_flagged_in_both_exports_and_the_360giving_file_stays_valid(
    client: AsyncTestClient[Litestar], world: tuple[Programme, UUID, UUID], tmp_path: Path
) -> None:
    _, low, rejected = world
    giving = (await client.get("/open-data/360giving.json")).json()
    assert [e.message for e in validator().iter_errors(giving)] == []
    flags = {g["id"][-36:]: g["fundedByOverride"]
             for g in giving["grants"]}  # fmt: skip
    assert flags.pop(str(low)) is True
    assert set(flags.values()) == {False}
    assert str(rejected) not in str(giving)
    csv_text = (await client.get("/open-data/360giving.csv")).text
    assert "Funded By Override" in csv_text.splitlines()[0]
    ledger = await client.get("/open-data/ledger.json")
    document = ledger.json()
    assert [o["application_id"] for o in document["overrides"]] == [str(low)]
    assert document["overrides"][0]["justification"] == JUSTIFICATION
    # the hashed entries are unchanged: the documented offline check still passes
    path = tmp_path / "ledger.json"
    path.write_bytes(ledger.content)
    check = run_script(path)
    assert check.returncode == 0, check.stderr


async def test_statistics_count_overrides_and_a_rejection_publishes_nothing(
    client: AsyncTestClient[Litestar], world: tuple[Programme, UUID, UUID]
) -> None:
    _, _, rejected = world
    stats = await client.get("/statistics", headers={"Accept-Language": "en"})
    figure = stats.text.split("data-overrides")[1].split("</div>")[0]
    assert "1 · 375,000.00" in figure
    assert (await client.get(f"/ledger/grants/{rejected}")).status_code == 404
    for path in ("/ledger", "/statistics", "/open-data/360giving.json", "/open-data/ledger.json"):
        text = (await client.get(path)).text
        assert "Karim Bennani" not in text
        assert SOLE_TRADER_NAME not in text


async def test_the_public_grant_page_travels_to_any_of_its_entries(
    client: AsyncTestClient[Litestar], world: tuple[Programme, UUID, UUID]
) -> None:
    funded, _, _ = world
    page = await client.get(f"/ledger/grants/{funded.company}", headers={"Accept-Language": "en"})
    seqs = [int(s) for s in re.findall(r'<option value="(\d+)"', page.text)]
    assert len(seqs) == 4  # decided, signed, paid twice
    first_tranche = await client.get(
        f"/ledger/grants/{funded.company}", params={"at": seqs[2]},
        headers={"Accept-Language": "en"},
    )  # fmt: skip
    figures = re.findall(r"<dd>([^<]+)</dd>", first_tranche.text.split("data-as-of")[1])
    assert figures[:2] == ["2,000,000.00\xa0MAD", "500,000.00\xa0MAD"]
    unknown = await client.get(f"/ledger/grants/{funded.company}", params={"at": "999999"})
    assert "data-as-of" not in unknown.text
