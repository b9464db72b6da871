"""The public site in a real Chromium, in Arabic: the envelope, the ledger filtered by province,
a grant's page, the verification, the statistics; screenshots and no serious axe violation."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, serious_violations

if TYPE_CHECKING:
    from playwright.sync_api import Page


def wait_for_ledger(page: Page, server: str) -> None:
    """The demo is loaded before the server answers; the in-process projections may lag."""
    for _ in range(60):
        page.goto(f"{server}/ledger?lang=ar")
        if page.locator("table.data tbody tr").count():
            return
        page.wait_for_timeout(500)
    raise AssertionError("the ledger stayed empty")


def test_home_shows_the_envelope_in_arabic(page: Page, server: str) -> None:
    wait_for_ledger(page, server)
    page.goto(f"{server}/?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    expect(page.locator("#envelope-title")).to_have_text("الغلاف المالي في لمحة")
    expect(page.locator("progress#envelope-progress")).to_be_visible()
    assert page.locator("[data-figure=committed]").inner_text().strip() != ""
    screenshot(page, "public-home-ar")
    assert serious_violations(page) == []


def test_a_visitor_filters_the_ledger_opens_a_grant_and_verifies(page: Page, server: str) -> None:
    wait_for_ledger(page, server)
    page.select_option("#f-province", "zagora")
    page.click("form.filters [type=submit]")
    expect(page).to_have_url(re.compile(r"province=zagora"))
    rows = page.locator("table.data tbody tr")
    assert rows.count() > 0
    for text in rows.locator("td:nth-child(6)").all_inner_texts():
        assert text.strip() == "زاكورة"
    screenshot(page, "public-ledger-zagora-ar")
    assert serious_violations(page) == []
    rows.first.locator("a").click()
    expect(page).to_have_url(re.compile(r"/ledger/grants/[0-9a-f-]{36}"))
    expect(page.locator("h1")).not_to_be_empty()
    screenshot(page, "public-grant-ar")
    page.click("nav a[href^='/verify']")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    page.click("form.verify-form [type=submit]")
    expect(page.locator(".result .ok")).to_be_visible()
    screenshot(page, "public-verify-ar")
    assert serious_violations(page) == []


def test_statistics_have_no_serious_violations(page: Page, server: str) -> None:
    wait_for_ledger(page, server)
    page.goto(f"{server}/statistics?lang=ar")
    assert page.locator("svg[role=img]").count() == 4  # sector, map, month, committed vs disbursed
    screenshot(page, "public-statistics-ar")
    assert serious_violations(page) == []
