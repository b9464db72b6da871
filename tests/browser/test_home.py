"""The home page in a real Chromium: it renders, and axe finds nothing serious."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.conftest import screenshot, serious_violations, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_home_page_renders_without_serious_accessibility_violations(
    page: Page, server: str
) -> None:
    response = page.goto(server)
    assert response is not None
    assert response.status == 200
    screenshot(page, "home")
    assert serious_violations(page) == []


def test_a_demo_investor_signs_in(page: Page, server: str) -> None:
    sign_in(page, server, "investor1@demo.ma")
    assert "/login" not in page.url
    assert page.locator("form[action='/logout']").count() == 1
