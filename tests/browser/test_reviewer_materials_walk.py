"""A walk in a real Chromium (Arabic and French, 1280 and 390 px) through what issue 14's last gaps
changed: the reviewer's score page (the rubric's level descriptors beside each criterion, the
file's documents), the chair's time travel to another file's decision, and a public grant page
with its public title. Screenshots under test-artifacts/committee2-*."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import ARTIFACTS, screenshot, serious_violations, sign_in
from tests.browser.journeys import caught_up, switch_language
from tests.browser.test_committee_workspace import _give_work

if TYPE_CHECKING:
    from playwright.sync_api import Page

WIDTHS = (1280, 390)
REVIEWER = {
    "ar": ("reviewer1@demo.ma", "Reviewer One"),
    "fr": ("reviewer2@demo.ma", "Reviewer Two"),
}


def _both_widths(page: Page, name: str) -> None:
    """Screenshots at 1280 and 390 px; the page never scrolls sideways; axe finds nothing serious."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"committee2-{name}-{width}")
        page.screenshot(path=str(ARTIFACTS / f"committee2-{name}-{width}-screen.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert serious_violations(page) == [], name


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_score_page_shows_level_descriptors_and_documents(
    page: Page, server: str, language: str
) -> None:
    caught_up(server)
    email, name = REVIEWER[language]
    _give_work(page.context.browser, server, name)
    sign_in(page, server, email)
    switch_language(page, language)
    first = page.locator("[data-assignment]").first.get_attribute("data-assignment")
    page.goto(f"{server}/committee/files/{first}/score")
    described = page.locator("ul[data-levels]")
    assert described.count() >= 5  # every criterion scored by judgement
    levels = described.first.locator("li .level").all_inner_texts()
    assert [level.strip() for level in levels] == ["0", "3", "5"]
    assert page.locator("[data-documents]").is_visible()
    _both_widths(page, f"score-{language}")


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_chair_travels_to_another_files_decision(
    page: Page, server: str, language: str
) -> None:
    caught_up(server)
    sign_in(page, server, "chair@demo.ma")
    switch_language(page, language)
    page.goto(f"{server}/ledger")  # the funded files, from the public ledger's links
    links = page.locator("table a[href^='/ledger/grants/']").evaluate_all(
        "links => links.map((a) => a.getAttribute('href'))"
    )
    travelled = False
    for app_id in dict.fromkeys(h.removeprefix("/ledger/grants/").split("?")[0] for h in links):
        page.goto(f"{server}/committee/files/{app_id}/as-seen")
        others = page.locator("#at option[data-other]")
        if others.count():
            value = others.first.get_attribute("value")
            assert value is not None
            page.select_option("#at", value)
            page.locator("form.filters button[type=submit]").click()
            page.wait_for_load_state()
            assert page.url.endswith(f"?at={value}")
            assert page.locator("[data-remaining]").is_visible()
            assert page.locator("[data-documents]").is_visible()
            travelled = True
            break
    assert travelled, "no funded file of the demo saw another file's decision while open"
    _both_widths(page, f"as-seen-{language}")


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_a_public_grant_page_shows_its_public_title(page: Page, server: str, language: str) -> None:
    caught_up(server)
    page.goto(f"{server}/ledger?lang={language}")
    links = page.locator("table a[href^='/ledger/grants/']").evaluate_all(
        "links => links.map((a) => a.getAttribute('href'))"
    )
    approved = None
    for href in links:
        page.goto(f"{server}{href}")
        if page.locator("[data-public-title='approved']").count():
            approved = href
            break
    assert approved is not None, "no demo grant has an approved public title"
    title = page.locator("#public-title bdi")
    assert title.inner_text().strip()
    assert title.get_attribute("lang") is None  # the demo seeds the title in all three languages
    _both_widths(page, f"grant-{language}")
