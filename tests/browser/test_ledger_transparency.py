"""The transparency log as a visitor sees it, in a real Chromium: the verify page's checkpoint,
witness how-to and history, and a grant's link to its inclusion proof; Arabic and French, at
1280 and 390 px wide; screenshots and no serious axe violation."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, serious_violations
from tests.browser.test_public import wait_for_ledger

if TYPE_CHECKING:
    from playwright.sync_api import Browser

WIDTHS = (1280, 390)
TITLES = {"ar": "نقاط التحقق الموقعة", "fr": "Points de contrôle signés"}
EXPORTS = {
    "ar": "نقطة التحقق التي أُنتج منها كل تصدير",
    "fr": "À quel point de contrôle un export a été produit",
}


@pytest.mark.parametrize("lang", ["ar", "fr"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_verify_page_shows_checkpoints_and_how_to_witness(
    browser: Browser, server: str, lang: str, width: int
) -> None:
    context = browser.new_context(locale="ar-MA", viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        wait_for_ledger(page, server)
        for _ in range(60):  # the server signs its first checkpoints within a second or two
            page.goto(f"{server}/verify?lang={lang}")
            if page.locator("table caption").count():
                break
            page.wait_for_timeout(500)
        expect(page.get_by_role("heading", name=TITLES[lang])).to_be_visible()
        expect(page.locator("pre").first).to_contain_text(
            "draa-tafilalet.ma/investment-support-grants"
        )
        expect(page.locator("pre").nth(1)).to_contain_text("grants ledger witness")
        assert page.locator("table tbody tr").count() >= 1
        expect(page.get_by_role("heading", name=EXPORTS[lang])).to_be_visible()
        expect(page.locator("pre").nth(2)).to_contain_text(
            "/api/v1/ledger/proof/inclusion?index=ENTRY-1&size=SIZE"
        )
        screenshot(page, f"ledger-verify-{lang}-{width}")
        assert serious_violations(page) == []
        # no horizontal scrolling on a phone: long hashes and notes wrap
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than the screen"
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_a_grant_links_each_entry_to_its_inclusion_proof(
    browser: Browser, server: str, lang: str
) -> None:
    context = browser.new_context(locale="ar-MA", viewport={"width": 390, "height": 900})
    page = context.new_page()
    try:
        wait_for_ledger(page, server)
        page.locator("table.data tbody tr").first.locator("a").click()
        expect(page).to_have_url(re.compile(r"/ledger/grants/[0-9a-f-]{36}"))
        url = page.url.split("?")[0]
        for _ in range(20):
            page.goto(f"{url}?lang={lang}")
            if page.locator("a[href*='/proof/inclusion']").count():
                break
            page.wait_for_timeout(500)
        link = page.locator("a[href*='/proof/inclusion']").first
        expect(link).to_be_visible()
        screenshot(page, f"ledger-grant-proof-{lang}-390")
        assert serious_violations(page) == []
        answer = page.request.get(server + link.get_attribute("href"))
        proof = json.loads(answer.text())
        assert proof["size"] >= proof["index"] + 1
        assert isinstance(proof["proof"], list)
    finally:
        context.close()
