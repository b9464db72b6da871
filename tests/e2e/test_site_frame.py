"""The site's frame over HTTP: header, footer and favicon; the statistics charts in each language;
the open-data CSV as a spreadsheet opens it; the verifier script; forms that flag every problem."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import post_form
from tests.e2e.public_support import programme

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore
    from tests.e2e.public_support import Programme

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def funded(db: asyncpg.Pool, store: EventStore) -> Programme:
    return await programme(db, store)


@pytest.mark.parametrize(
    ("lang", "region", "font"),
    [("ar", "جهة درعة تافيلالت", True), ("fr", "Région Drâa-Tafilalet", False),
     ("en", "Drâa-Tafilalet Region", False)],
)  # fmt: skip
async def test_every_page_has_the_emblem_the_menu_the_footer_and_only_its_own_fonts(
    client: AsyncTestClient[Litestar], lang: str, region: str, font: bool
) -> None:
    page = (await client.get(f"/privacy?lang={lang}")).text
    assert region in page
    assert '<svg class="emblem"' in page
    assert 'class="menu-toggle" aria-controls="site-menu" aria-expanded="false"' in page
    for link in (
        "/privacy",
        "/open-data/360giving.csv",
        "/ledger/key",
        "/open-data/verify_ledger.py",
    ):
        assert f'href="{link}' in page, link
    assert ('href="/static/arabic.css"' in page) is font
    assert 'rel="icon" href="/static/favicon.svg"' in page
    css = (await client.get("/static/app.css")).text
    assert "noto-sans-arabic-arabic" not in css, (
        "the Arabic font files are named only in arabic.css"
    )
    assert "noto-sans-arabic-arabic" in (await client.get("/static/arabic.css")).text
    favicon = await client.get("/static/favicon.svg")
    assert favicon.status_code == 200
    assert favicon.headers["content-type"].startswith("image/svg+xml")


async def test_the_csv_is_a_download_with_a_byte_order_mark_and_one_charset(
    client: AsyncTestClient[Litestar], funded: Programme
) -> None:
    response = await client.get("/open-data/360giving.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="360giving.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    assert "Identifier" in rows[0]
    assert any("Drâa" in v for v in rows[0].values() if v)
    descriptions = [r["Description"] for r in rows]
    assert not [d for d in descriptions if re.search(r"\bde [AEIOU]", d)], "French elides: d’"


async def test_verify_links_the_verifier_script_which_is_the_documented_one(
    client: AsyncTestClient[Litestar],
) -> None:
    page = (await client.get("/verify?lang=en")).text
    assert 'href="/open-data/verify_ledger.py"' in page
    script = await client.get("/open-data/verify_ledger.py")
    assert script.status_code == 200
    assert script.headers["content-disposition"] == 'attachment; filename="verify_ledger.py"'
    assert script.content == (ROOT / "docs" / "verify_ledger.py").read_bytes()


@pytest.mark.parametrize("lang", ["ar", "fr", "en"])
async def test_statistics_draw_four_charts_with_values_axes_and_the_money_over_time(
    client: AsyncTestClient[Litestar], funded: Programme, lang: str
) -> None:
    page = (await client.get(f"/statistics?lang={lang}")).text
    assert page.count('role="img"') == 4
    assert page.count('class="value"') >= 3  # each bar's value, and the two lines' last values
    assert page.count('class="tick"') >= 6
    assert '<polyline points="' in page
    assert page.count('class="map-label') == 5
    mirrored = re.search(r'<text x="([\d.]+)" y="\d+" text-anchor="(\w+)" class="label">', page)
    assert mirrored
    assert mirrored[2] == ("start" if lang == "ar" else "end")


async def test_english_dates_are_british(
    client: AsyncTestClient[Litestar], funded: Programme
) -> None:
    page = (await client.get("/ledger?lang=en")).text
    dates = re.findall(r'<td class="date" data-label="Date">([^<]+)</td>', page)
    assert dates
    assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", d) for d in dates), dates


async def test_registration_flags_every_empty_field(client: AsyncTestClient[Litestar]) -> None:
    response = await post_form(
        client,
        "/register",
        {"display_name": "", "email": "", "password": "", "password_confirm": ""},
    )
    assert response.status_code == 422
    for name in ("display_name", "email", "password", "password_confirm"):
        assert f'id="f-{name}-error"' in response.text, name
    assert response.text.count('aria-invalid="true"') == 4


async def test_a_refused_password_says_why(client: AsyncTestClient[Litestar]) -> None:
    response = await post_form(
        client,
        "/register",
        {"display_name": "Amina", "email": "amina@example.ma",
         "password": "Zagora-oasis-2026", "password_confirm": "Zagora-oasis-2026"},
    )  # fmt: skip
    assert response.status_code == 422
    error = re.search(r'id="f-password-error">([^<]+)<', response.text)
    assert error
    assert (
        "الجهة أو البرنامج أو إقليم" in error[1]
        or "region, the programme or a province" in error[1]
    )
