"""Language negotiation, direction, translated catalogs and amounts per locale."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.e2e.conftest import csrf_of
from web.common.i18n import LANGUAGES, format_day, format_mad, load_catalogs

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

ROOT = Path(__file__).resolve().parents[2]
HTML_TAG = re.compile(r'<html lang="(\w+)" dir="(\w+)">')


def html_tag(text: str) -> tuple[str, str]:
    match = HTML_TAG.search(text)
    assert match
    return match[1], match[2]


async def test_arabic_by_default_right_to_left(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/")
    assert html_tag(response.text) == ("ar", "rtl")
    assert "دعم الاستثمار" in response.text


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.5", "fr"),
        ("en-GB", "en"),
        ("de, en;q=0.3", "en"),
        ("de", "ar"),
        ("en;q=0.2, fr;q=0.8", "fr"),
    ],
)
async def test_accept_language_is_negotiated(
    client: AsyncTestClient[Litestar], header: str, expected: str
) -> None:
    response = await client.get("/", headers={"Accept-Language": header})
    assert html_tag(response.text) == (expected, "ltr" if expected != "ar" else "rtl")


async def test_session_choice_beats_accept_language(client: AsyncTestClient[Litestar]) -> None:
    page = await client.get("/login", headers={"Accept-Language": "en"})
    switched = await client.post(
        "/language",
        data={"lang": "fr", "next": "/privacy", "_csrf": csrf_of(page)},
        headers={"Accept-Language": "en"},
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/privacy"
    response = await client.get("/privacy", headers={"Accept-Language": "en"})
    assert html_tag(response.text) == ("fr", "ltr")
    assert "Protection des données personnelles" in response.text


async def test_language_switch_does_not_redirect_off_site(
    client: AsyncTestClient[Litestar],
) -> None:
    token = csrf_of(await client.get("/login"))
    response = await client.post(
        "/language", data={"lang": "en", "next": "//evil.example", "_csrf": token}
    )
    assert response.headers["location"] == "/"


async def test_home_shows_the_envelope_in_each_language(client: AsyncTestClient[Litestar]) -> None:
    english = await client.get("/", headers={"Accept-Language": "en"})
    assert "50,000,000.00\xa0MAD" in english.text
    french = await client.get("/", headers={"Accept-Language": "fr"})
    assert "50\u202f000\u202f000,00\xa0MAD" in french.text


def test_amounts_use_western_digits_in_every_language() -> None:
    assert format_mad(5_000_000_000, "en") == "50,000,000.00\xa0MAD"
    assert format_mad(5_000_000_000, "fr") == "50\u202f000\u202f000,00\xa0MAD"
    arabic = format_mad(123_456_789, "ar")
    assert "1.234.567,89" in arabic
    assert not re.search("[\u0660-\u0669\u06f0-\u06f9]", arabic)  # no Arabic-Indic digits


def test_dates_per_language() -> None:
    day = datetime.date(2022, 6, 15)
    assert format_day(day, "en") == "15 June 2022"
    assert format_day(day, "fr") == "15 juin 2022"
    assert format_day(day, "ar") == "15 يونيو 2022"


def test_every_message_is_translated_in_every_catalog() -> None:
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    wanted = {
        message
        for *_, message, _, _ in extract_from_dir(
            str(ROOT), method_map, options, keywords={"_": None, "gettext": None, "N_": None}
        )
    }
    assert len(wanted) > 50
    for lang in LANGUAGES:
        catalog = {}
        for path in (ROOT / "web" / "locales" / lang / "LC_MESSAGES").glob("*.po"):
            with path.open("rb") as po:
                catalog |= {m.id: m.string for m in read_po(po) if m.id and m.string}
        missing = sorted(m for m in wanted if not catalog.get(m))
        assert not missing, f"{lang}: untranslated {missing[:5]}"


def test_a_message_in_a_second_catalog_is_translated(tmp_path: Path) -> None:
    for lang in LANGUAGES:
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "messages.po").write_text(f'msgid "Home"\nmsgstr "home-{lang}"\n')
        (folder / "portal.po").write_text(f'msgid "Apply"\nmsgstr "apply-{lang}"\n')
    catalogs = load_catalogs(tmp_path)
    assert catalogs["fr"].gettext("Home") == "home-fr"
    assert catalogs["ar"].gettext("Apply") == "apply-ar"
